"""Tests of Net.features, Net.to_dot and cnnarch.Ensemble (stdlib unittest;
NumPy used when present, the plain-buffer paths tested either way)."""
import array
import math
import re
import shutil
import subprocess
import unittest

import cnnarch

try:
    import numpy as np
except ImportError:
    np = None


def flat(values):
    return [float(v) for v in (values.reshape(-1) if hasattr(values, "reshape") else values)]


def image_batch(net, batch, seed=3):
    c, h, w = net.input_shape
    state, values = seed, []
    for _ in range(batch * c * h * w):
        state = (state * 1664525 + 1013904223) % (1 << 32)
        values.append((state >> 8) / float(1 << 23) - 1.0)
    x = array.array("f", values)
    if np is not None:
        return np.frombuffer(x.tobytes(), dtype=np.float32).reshape(batch, c, h, w)
    return x


def small_block(output=None):
    """conv-bn-relu, conv-bn-add-relu, pool, fc: what the forward plan
    fuses; output=name truncates it there."""
    b = cnnarch.Builder()
    b.input(3, 8, 8, name="x")
    b.conv2d(8, 3, padding=1, bias=False, name="conv1")
    b.batch_norm(name="bn1")
    b.relu(name="relu1")
    b.conv2d(8, 3, padding=1, bias=False, name="conv2")
    b.batch_norm(name="bn2")
    b.add("bn2", "relu1", name="add")
    b.relu(name="relu2")
    b.global_avg_pool(name="pool")
    b.fully_connected(5, name="fc")
    if output is not None:
        b.set_output(output)
    net = b.build(seed=4)
    # Batch norms far from the identity, so a folded one shows.
    for name, shape in net.tensor_shapes().items():
        if name.startswith("bn"):
            n = shape[0]
            if name.endswith("running_var"):
                values = [0.5 + 0.1 * i for i in range(n)]
            elif name.endswith("running_mean"):
                values = [0.3 - 0.05 * i for i in range(n)]
            elif name.endswith("weight"):
                values = [1.5 - 0.1 * i for i in range(n)]
            else:
                values = [0.2 * math.sin(i) for i in range(n)]
            net.set_tensor(name, values)
    return net


class TestFeatures(unittest.TestCase):
    def test_each_layer_is_the_truncated_net(self):
        net = small_block()
        x = image_batch(net, 2)
        names = net.layer_names()
        together = net.features(x, names)
        self.assertEqual(list(together), names)
        for name in names:
            want = small_block(output=name).forward(x)
            alone = net.features(x, [name])[name]
            self.assertEqual(flat(alone), flat(want), name)  # bit for bit
            got = flat(together[name])
            largest = max(abs(v) for v in flat(want))
            self.assertLessEqual(max(abs(a - b) for a, b in zip(got, flat(want))),
                                 1e-4 * largest, name)
            if np is not None:
                self.assertEqual(alone.shape, (2,) + net.layer_shape(name))

    def test_conv_before_its_batch_norm(self):
        net = small_block()
        x = image_batch(net, 1)
        f = net.features(x, ["conv1", "bn1"])
        self.assertNotEqual(flat(f["conv1"]), flat(f["bn1"]))
        self.assertTrue(any(v < 0 for v in flat(f["conv1"])))

    def test_one_image_and_plain_buffers(self):
        net = cnnarch.Net.from_arch("resnet20")
        x = image_batch(net, 1)
        one = x[0] if np is not None else x
        f = net.features(one, "avgpool")
        if np is not None:
            self.assertEqual(f["avgpool"].shape, (64, 1, 1))
        plain = array.array("f", flat(x))
        g = net.features(plain, ["avgpool", "fc"])
        self.assertEqual(flat(g["avgpool"]), flat(f["avgpool"]))
        self.assertEqual(flat(g["fc"]), flat(net.forward(plain)))

    def test_forward_unchanged(self):
        net = cnnarch.Net.from_arch("resnet20")
        x = image_batch(net, 2)
        before = flat(net.forward(x))
        net.features(x, ["layer1.0.conv1", "layer2.0.relu1"])
        self.assertEqual(flat(net.forward(x)), before)

    def test_errors(self):
        net = cnnarch.Net.from_arch("resnet20")
        x = image_batch(net, 1)
        with self.assertRaises(cnnarch.Error) as e:
            net.features(x, ["avgpool", "fc7"])
        self.assertEqual(e.exception.status, "NOT_FOUND")
        self.assertIn("names[1]: the net has no layer named 'fc7'; the nearest are 'fc'",
                      e.exception.message)
        with self.assertRaises(cnnarch.Error) as e:
            net.features(x, ["fc", "fc"])
        self.assertEqual(e.exception.status, "INVALID_ARGUMENT")
        self.assertIn("names[0] and names[1] are both 'fc'", e.exception.message)
        with self.assertRaises(cnnarch.Error) as e:
            net.features(x, [])
        self.assertIn("count is 0", e.exception.message)
        with self.assertRaises(cnnarch.Error):
            net.features(array.array("f", [0.0] * 5), ["fc"])  # not whole images


class TestDot(unittest.TestCase):
    def test_nodes_and_edges(self):
        net = cnnarch.Net.from_arch("googlenet")
        text = net.to_dot()
        self.assertTrue(text.startswith("digraph cnnarch {\n") and text.endswith("}\n"))
        nodes = re.findall(r"^  n(\d+) \[label=", text, re.M)
        edges = re.findall(r"^  n(\d+) -> n(\d+);$", text, re.M)
        rows = net.summary()
        self.assertEqual(len(nodes), len(rows))
        self.assertEqual(len(edges), sum(len(r["inputs"]) for r in rows))
        self.assertIn('label="inception3a\\nconcat\\n256x28x28"', text)

    @unittest.skipIf(shutil.which("dot") is None, "Graphviz's dot is not installed")
    def test_graphviz_renders_names_as_they_are(self):
        b = cnnarch.Builder()
        names = ['in"put', "back\\slash\\N", "a&amp;b", "{br}[ace]", "caf\u00e9"]
        b.input(1, 4, 4, name=names[0])
        b.relu(name=names[1])
        b.relu(name=names[2])
        b.relu(name=names[3])
        b.relu(name=names[4])
        svg = subprocess.run(["dot", "-Tsvg"], input=b.build().to_dot().encode(),
                             capture_output=True, check=True)
        self.assertEqual(svg.stderr, b"")
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg.stdout.decode())
        unescaped = [t.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                     .replace("&amp;", "&") for t in texts]
        for name in names:
            self.assertIn(name, unescaped)


def softmax(row):
    top = max(row)
    exps = [math.exp(v - top) for v in row]
    total = sum(exps)
    return [v / total for v in exps]


class TestEnsemble(unittest.TestCase):
    def members(self):
        return [cnnarch.Net.from_arch("lenet5", seed=s) for s in (1, 2, 3)]

    def check(self, nets, weights):
        x = image_batch(nets[0], 2)
        ensemble = cnnarch.Ensemble(nets, weights=weights)
        got = flat(ensemble.forward(x))
        w = weights or [1.0] * len(nets)
        want = [0.0] * 20
        for net, weight in zip(nets, w):
            y = flat(net.forward(x))
            probs = softmax(y[:10]) + softmax(y[10:])
            for i in range(20):
                want[i] += weight / sum(w) * probs[i]
        for a, b in zip(got, want):
            self.assertAlmostEqual(a, b, delta=1e-6)
        if np is not None:
            self.assertEqual(ensemble.forward(x).shape, (2, 10))
        return ensemble, x

    def test_average(self):
        self.check(self.members(), None)

    def test_weighted(self):
        self.check(self.members(), [1.0, 3.0, 0.0])

    def test_classify(self):
        ensemble, x = self.check(self.members(), None)
        probs = flat(ensemble.forward(x))
        top = ensemble.classify(x, topk=3, labels=[str(i) for i in range(10)])
        self.assertEqual(len(top), 2)
        for b, predictions in enumerate(top):
            row = probs[b * 10:(b + 1) * 10]
            order = sorted(range(10), key=lambda i: (-row[i], i))[:3]
            self.assertEqual([p.index for p in predictions], order)
            self.assertEqual([p.label for p in predictions], [str(i) for i in order])

    def test_members_stay_alive(self):
        nets = self.members()
        ensemble = cnnarch.Ensemble(nets)
        with self.assertRaises(cnnarch.Error):
            nets[0].close()
        x = image_batch(nets[0], 1)
        del nets
        self.assertEqual(len(flat(ensemble.forward(x))), 10)
        members = ensemble.nets
        ensemble.close()
        members[0].close()  # fine once the ensemble is closed

    def test_errors(self):
        nets = self.members()
        with self.assertRaises(cnnarch.Error) as e:
            cnnarch.Ensemble([nets[0], cnnarch.Net.from_arch("resnet20")])
        self.assertIn("member 1 takes 3x32x32 images", e.exception.message)
        with self.assertRaises(cnnarch.Error) as e:
            cnnarch.Ensemble(nets, weights=[1, 2])
        self.assertIn("2 weights for 3 nets", e.exception.message)
        with self.assertRaises(cnnarch.Error) as e:
            cnnarch.Ensemble(nets, weights=[1, -1, 2])
        self.assertIn("weights[1] is -1", e.exception.message)
        with self.assertRaises(cnnarch.Error):
            cnnarch.Ensemble([])
        with self.assertRaises(cnnarch.Error):
            cnnarch.Ensemble([nets[0], "resnet20"])
        for net in nets:  # a failed ensemble holds no member
            net.close()


if __name__ == "__main__":
    unittest.main()
