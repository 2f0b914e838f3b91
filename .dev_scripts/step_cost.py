"""Cost of an mmbank training step against mmselfsup's NPID, side by side.

Builds both algorithms with the same backbone and neck (from the CPU
protocol's configs) and times, interleaved in one process:

- ``npid``: mmselfsup's NPID step on B x K images (1 view each);
- ``mmbank``: MultiViewNPID's step on B samples x K views (the same number of
  images through the network), with the head's full softmax over the bank,
  the consistency loss and the bank update;
- ``network``: backbone + neck forward and backward alone on those images;
- ``head``: MemoryBankHead's loss forward, backward to the features, and
  bank update alone.

Reports medians over ``--iters`` steps and the head's share of the network's
time. Nothing is read from disk: inputs are random images.

Usage:
    python .dev_scripts/step_cost.py [--batch 64] [--views 2]
        [--bank-size 10000] [--neg-num 4096] [--iters 10] [--channels-last]
        [--out FILE]
"""
import argparse
import json
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath((
    __file__)))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

import mmbank  # noqa: E402,F401
from mmselfsup.registry import MODELS  # noqa: E402
from mmselfsup.structures import SelfSupDataSample  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MMBANK_CFG = osp.join(
    REPO, 'configs/membank/membank_resnet18-std_1xb64x2-coslr-10e_'
    'cifar10-5k.py')


def _samples(idx):
    out = []
    for i in idx.tolist():
        s = SelfSupDataSample()
        s.sample_idx = InstanceData(value=torch.tensor([i]))
        out.append(s)
    return out


def build(bank_size, neg_num):
    cfg = Config.fromfile(MMBANK_CFG)
    init_default_scope('mmselfsup')
    mmbank_model = MODELS.build(cfg.model)
    mmbank_model.head.memory_bank.reset(bank_size, seed=0)
    npid_model = MODELS.build(
        dict(
            type='NPID',
            neg_num=neg_num,
            backbone=cfg.model.backbone,
            neck=cfg.model.neck,
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='mmcls.CrossEntropyLoss'),
                temperature=0.1),
            memory_bank=dict(
                type='SimpleMemory', length=bank_size, feat_dim=128,
                momentum=0.5)))
    return mmbank_model, npid_model


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=64,
                        help='samples per step (B)')
    parser.add_argument('--views', type=int, default=2, help='K')
    parser.add_argument('--bank-size', type=int, default=10000)
    parser.add_argument('--neg-num', type=int, default=4096,
                        help="NPID's sampled negatives")
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--out', help='write the figures as JSON here')
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    mmbank_model, npid_model = build(args.bank_size, args.neg_num)
    fmt = torch.channels_last if args.channels_last else \
        torch.contiguous_format
    for m in (mmbank_model, npid_model):
        m.to(memory_format=fmt).train()
    B, K = args.batch, args.views
    views = [
        torch.randn(B, 3, 32, 32).contiguous(memory_format=fmt)
        for _ in range(K)
    ]
    flat = torch.cat(views)
    idx = torch.randperm(args.bank_size)[:B]
    idx_flat = torch.randperm(args.bank_size)[:B * K]
    opt_a = torch.optim.SGD(mmbank_model.parameters(), lr=0.01)
    opt_b = torch.optim.SGD(npid_model.parameters(), lr=0.01)

    def mmbank_step():
        losses = mmbank_model.loss(views, _samples(idx))
        opt_a.zero_grad()
        (losses['loss_inst'] + losses.get('loss_cons', 0)).backward()
        opt_a.step()

    def npid_step():
        losses = npid_model.loss([flat], _samples(idx_flat))
        opt_b.zero_grad()
        losses['loss'].backward()
        opt_b.step()

    def network():
        mmbank_model.embed(flat).sum().backward()

    def head():
        feats = F.normalize(torch.randn(K, B, 128), dim=2).requires_grad_()
        losses = mmbank_model.head.loss(feats, idx)
        (losses['loss_inst'] + losses.get('loss_cons', 0)).backward()

    names = ('mmbank', 'npid', 'network', 'head')
    fns = (mmbank_step, npid_step, network, head)
    times = {n: [] for n in names}
    for fn in fns:  # warm-up
        fn()
    for _ in range(args.iters):
        for name, fn in zip(names, fns):
            times[name].append(timed(fn))
    med = {n: statistics.median(t) for n, t in times.items()}
    result = dict(
        batch=B,
        views=K,
        images_per_step=B * K,
        bank_size=args.bank_size,
        npid_neg_num=args.neg_num,
        threads=torch.get_num_threads(),
        channels_last=args.channels_last,
        median_seconds=med,
        mmbank_over_npid=med['mmbank'] / med['npid'],
        head_over_network=med['head'] / med['network'],
    )
    print(f"images per step: {B * K} ({B} samples x {K} views), bank "
          f"{args.bank_size}, {torch.get_num_threads()} threads")
    for name in names:
        print(f'  {name:8s} {med[name] * 1000:8.1f} ms')
    print(f"mmbank step / NPID step: {result['mmbank_over_npid']:.3f}")
    print(f"head + losses + bank update / backbone+neck fwd+bwd: "
          f"{100 * result['head_over_network']:.1f}%")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
