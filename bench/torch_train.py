"""PyTorch peer for `npm run bench:train` (bench/train.ts runs it; not a prunekit dependency).

Same nets, batches and Adam step as the TF.js side: MLP 784-500x4-10 (b60), small CNN conv32-conv32-pool-
conv64-pool-fc128-fc10 on 28x28x1 (b128), VGG-11-BN on 32x32x3 (b64); softmax cross-entropy; Adam lr 1e-3.
Prints one `RESULT {json}` line per net: ms per training step and per forward pass (wall, and process CPU
time of all threads).

  python3 bench/torch_train.py --threads 1 --format channels_last --models mlp,cnn,vgg
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

NETS = {
    "mlp": dict(input=(1, 28, 28), batch=60, steps=(3, 10), forwards=(3, 10)),
    "cnn": dict(input=(1, 28, 28), batch=128, steps=(2, 4), forwards=(2, 5)),
    "vgg": dict(input=(3, 32, 32), batch=64, steps=(1, 2), forwards=(1, 3)),
}


def mlp():
    layers, width = [nn.Flatten()], 784
    for _ in range(4):
        layers += [nn.Linear(width, 500), nn.ReLU()]
        width = 500
    return nn.Sequential(*layers, nn.Linear(width, 10))


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def vgg11_bn():
    layers, c = [], 3
    for item in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, item, 3, padding=1), nn.BatchNorm2d(item), nn.ReLU()]
            c = item
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 10))


def timed(fn, warm, n):
    for _ in range(warm):
        fn()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) * 1e3 / n, (time.process_time() - c0) * 1e3 / n


def bench(key, fmt, threads):
    spec = NETS[key]
    torch.manual_seed(1)
    model = {"mlp": mlp, "cnn": small_cnn, "vgg": vgg11_bn}[key]()
    x = torch.randn(spec["batch"], *spec["input"])
    y = torch.arange(spec["batch"]) % 10
    if fmt == "channels_last" and key != "mlp":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    def forward():
        model.eval()
        with torch.no_grad():
            model(x).sum().item()

    train_ms, train_cpu = timed(step, *spec["steps"])
    fwd_ms, fwd_cpu = timed(forward, *spec["forwards"])
    label = "pytorch-" + ("cl" if fmt == "channels_last" else "nchw")
    return dict(net=key, backend=label, threads=threads, trainMs=train_ms, forwardMs=fwd_ms, trainCpuMs=train_cpu,
                forwardCpuMs=fwd_cpu, flops=0, detail=f"PyTorch {torch.__version__}, {fmt}, {threads} thread(s)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--format", choices=["channels_last", "nchw"], default="channels_last")
    p.add_argument("--models", default="mlp,cnn,vgg")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for key in a.models.split(","):
        print("RESULT " + json.dumps(bench(key, a.format, a.threads)), flush=True)


if __name__ == "__main__":
    main()
