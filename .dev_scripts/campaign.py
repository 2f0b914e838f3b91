"""Training campaigns that survive a new machine.

A campaign is a list of :class:`Run` s (a config, ``--cfg-options`` and a
seed). :func:`run_campaign` trains them ``parallel`` at a time, each with
one thread (the data pipeline is single-threaded, so two one-thread runs
side by side give nearly twice the throughput of one two-thread run), and:

- skips a run whose record (``<records>/<name>.json``, small, meant to be
  committed) exists: a new machine re-runs nothing that finished (a run
  asked for its test read later gets it from its checkpoint);
- resumes a run whose work directory holds a checkpoint
  (``tools/train.py --resume``): an interrupted run loses at most the
  epochs since its last checkpoint;
- branches runs that share their first epochs (``Run.branch_from``: e.g.
  variants of an option that acts only from epoch 38 on) off one shorter
  run's last checkpoint, trained once, so the shared epochs are trained
  once (training resumes exactly: ``RNGStateHook`` keeps the random state
  in checkpoints);
- after training, reads the run's kNN-monitor curve (validation queries,
  every ``val_interval`` epochs) and step times from mmengine's
  ``scalars.json``, optionally evaluates the final checkpoint on the test
  set with ``tools/knn.py`` (``Run.test``), writes the record and, with
  ``commit=True``, commits it.

Records hold everything a table needs: config, options, seed, kNN per
epoch, final validation (and test) top-1, training minutes, mean step
time, and the command that reproduces the run.
"""
import fcntl
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ONE_THREAD = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
_GIT_LOCK = threading.Lock()


@dataclass
class Run:
    """One training run of a campaign.

    Args:
        name (str): Unique name (work directory and record file).
        config (str): Training config, relative to the repository.
        options (list[str]): ``--cfg-options`` ``key=value`` items.
        seed (int): ``randomness.seed``.
        test (bool): Also evaluate the final checkpoint on the test set
            (the final read of a chosen setting). Defaults to False.
        meta (dict): Free-form fields copied into the record.
        retrieval_config (str, optional): The test read is
            ``tools/retrieval.py`` of this config (Recall@K, NMI: the
            record's ``test_retrieval``) instead of ``tools/knn.py``.
        val_retrieval (bool): Also read ``retrieval_config``'s validation
            split (``--split val``) after training: the record's
            ``val_retrieval``, for choosing settings without the test set.
            Defaults to False.
        branch_from (Run, optional): A shorter run whose first epochs are
            this run's (same config up to options that act later, e.g.
            ``train_cfg.max_epochs``): it is trained once (no record) and
            this run resumes from its last checkpoint; its kNN monitor
            points and minutes count as this run's.
    """
    name: str
    config: str
    options: List[str] = field(default_factory=list)
    seed: int = 0
    test: bool = False
    meta: dict = field(default_factory=dict)
    retrieval_config: Optional[str] = None
    branch_from: Optional['Run'] = None
    val_retrieval: bool = False

    def __post_init__(self) -> None:
        if self.val_retrieval and not self.retrieval_config:
            raise ValueError(f'{self.name}: val_retrieval reads the '
                             'retrieval_config\'s validation split; give one')

    def train_args(self, work_dir: str) -> List[str]:
        return [
            'tools/train.py', self.config, '--work-dir', work_dir,
            '--cfg-options', f'randomness.seed={self.seed}', *self.options
        ]

    def command(self) -> str:
        """The command line that trains this run (for tables)."""
        opts = ' '.join([f'randomness.seed={self.seed}', *self.options])
        return f'python tools/train.py {self.config} --cfg-options {opts}'


def scalar_records(work_dir: str) -> List[dict]:
    """Every record of mmengine's ``vis_data/scalars.json`` files under
    ``work_dir``, in path order (a resumed run writes a second file)."""
    found = []
    for root, _, files in os.walk(work_dir):
        if 'scalars.json' in files:
            found.append(osp.join(root, 'scalars.json'))
    records = []
    for path in sorted(found):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def read_scalars(work_dir: str, *earlier: str) -> dict:
    """kNN-monitor curves ``{key: {epoch: top-1}}``, mean logged step time
    and the last epoch trained, from ``scalars.json`` of ``work_dir``
    preceded by those of the ``earlier`` work directories (a branched
    run's shared epochs); the merges' class purity (``merge_purity``) and,
    on a training set with known near-duplicates, ``merge_copies``
    (:func:`merge_figures`)."""
    curve: Dict[str, Dict[int, float]] = {}
    times, last_epoch = [], 0
    records = [rec for d in (*earlier, work_dir) for rec in scalar_records(d)]
    for rec in records:
        if 'loss' in rec and 'time' in rec:
            times.append(rec['time'])
            last_epoch = max(last_epoch, int(rec.get('epoch', 0)))
        for key, value in rec.items():
            if key.startswith('knn/') and 'top1' in key or \
                    key.startswith('retrieval/'):
                curve.setdefault(key, {})[int(rec['step'])] = value
    figures: Dict[str, Dict[int, float]] = {}
    for d in (*earlier, work_dir):
        for name, figure in merge_figures(d).items():
            figures.setdefault(name, {}).update(figure)
    out = dict(curve=curve,
               mean_step_seconds=statistics.mean(times) if times else None,
               last_epoch=last_epoch,
               merge_purity=figures.pop('merge_same_class', {}))
    if figures:  # a training set with known near-duplicates
        out['merge_copies'] = figures
    return out


def merge_figures(work_dir: str) -> Dict[str, Dict[int, float]]:
    """``{figure: {epoch: %}}`` of what the HardNegativeMergeHook logged
    through mmengine's MessageHub (the last checkpoint's message hub keeps
    every value): ``merge_same_class`` (merged pairs of the same class),
    ``merge_copy_precision`` / ``merge_copy_recall`` (merged pairs that are
    true copies / true copies merged, on a training set with known
    near-duplicates) at each merge, and ``copy_pair_similarity`` (mean
    cosine of the copies' bank rows, x 100) after every epoch since the
    hook first ran: the epochs that end at the checkpoint's (a run
    resumed from one without the hook, e.g. a shared branch without
    merging, logged only its later epochs). NaN values (no group yet) and
    figures never logged are left out."""
    if not osp.exists(osp.join(work_dir, 'last_checkpoint')) or \
            not osp.exists(last_checkpoint(work_dir)):
        return {}
    import math

    import mmbank  # noqa: F401  (loads mmengine's checkpoints weights-only)
    from mmengine.runner.checkpoint import _load_checkpoint
    checkpoint = _load_checkpoint(last_checkpoint(work_dir),
                                  map_location='cpu')
    scalars = (checkpoint.get('message_hub') or {}).get('log_scalars', {})

    def values(name):
        buffer = scalars.get(f'train/{name}')
        return [] if buffer is None else list(buffer.data[0])

    out = {}
    merge_epochs = values('merge_epoch')
    for name in ('merge_same_class', 'merge_copy_precision',
                 'merge_copy_recall'):
        figure = {int(e): round(100 * float(v), 1)
                  for e, v in zip(merge_epochs, values(name))
                  if not math.isnan(v)}
        if figure:
            out[name] = figure
    similarity = values('copy_pair_similarity')
    if similarity:  # after every epoch up to the checkpoint's
        last = int((checkpoint.get('meta') or {}).get('epoch',
                                                      len(similarity)))
        out['copy_pair_similarity'] = {
            epoch: round(100 * float(v), 1) for epoch, v in enumerate(
                similarity, last - len(similarity) + 1)}
    return out


def merge_purity(work_dir: str) -> Dict[int, float]:
    """``{epoch: % of merged pairs of the same class}`` (empty for runs
    without merging or labels): :func:`merge_figures`'
    ``merge_same_class``."""
    return merge_figures(work_dir).get('merge_same_class', {})


FLOORS = osp.join(REPO, 'docs', 'records', 'floors')


def read_records(records_dir: str) -> List[dict]:
    """Every record of a campaign, in file-name order."""
    out = []
    for name in sorted(os.listdir(records_dir)) \
            if osp.isdir(records_dir) else []:
        if name.endswith('.json'):
            with open(osp.join(records_dir, name)) as f:
                out.append(json.load(f))
    return out


def floors_record(num_train: int, queries: str, arch: str = 'std') -> dict:
    """The floors (tools/benchmarks/knn_floors.py JSON) of a memory of the
    first ``num_train`` CIFAR-10 training images and ``queries`` ('val' or
    'test'), or {} if not measured yet."""
    path = osp.join(FLOORS,
                    f'npid-{arch}_cifar10-{num_train // 1000}k_{queries}.json')
    if not osp.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def steps_per_epoch(record: dict, num_train: int = 10000,
                    default_batch: int = 128) -> int:
    """Optimiser steps per epoch of a record's run over a ``num_train``-image
    subset: samples per step from a ``train_dataloader.batch_size=<B>``
    option, else from ``_1xb<B>`` in the config's name, else
    ``default_batch``."""
    batch = default_batch
    found = re.search(r'_1xb(\d+)', record.get('config') or '')
    if found:
        batch = int(found.group(1))
    for option in record.get('options') or []:
        if option.startswith('train_dataloader.batch_size='):
            batch = int(option.split('=', 1)[1])
    return num_train // batch


def last_monitor_top1(record: dict, part: str = 'backbone'):
    """The kNN monitor's last top-1 (k = 200) of ``part``, or None."""
    curve = record['curve'].get(f'knn/{part}_top1_k200') or {}
    return curve[max(curve, key=int)] if curve else None


def markdown_table(header, rows) -> str:
    """A GitHub markdown table of string cells (tabulate, no number
    parsing, so ``51.00 ± 1.41`` and ``-`` stay as written)."""
    from tabulate import tabulate
    return tabulate(rows, headers=header, tablefmt='github',
                    disable_numparse=True)


def _run(cmd: Sequence[str], log_path: str, threads_env: dict) -> None:
    env = dict(os.environ, **threads_env)
    with open(log_path, 'a') as log:
        log.write(f'\n$ {" ".join(cmd)}\n')
        log.flush()
        proc = subprocess.run([sys.executable, *cmd], cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd[:2])} failed (exit '
                           f'{proc.returncode}), see {log_path}')


def has_checkpoint(work_dir: str) -> bool:
    return osp.exists(osp.join(work_dir, 'last_checkpoint'))


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    # a copied work dir: its own checkpoint of that name
    local = osp.join(work_dir, osp.basename(path))
    return local if osp.exists(local) else path


def commit(paths: Sequence[str], message: str) -> None:
    """``git add`` + ``git commit`` of ``paths`` only (serialised)."""
    with _GIT_LOCK:
        subprocess.run(['git', 'add', *paths], cwd=REPO, check=True)
        subprocess.run(['git', 'commit', '-q', '-m', message, '--', *paths],
                       cwd=REPO, check=False)


def log_wall_seconds(log_path: str) -> float:
    """Seconds from the first to the last timestamped line of an mmengine
    log (``[YYYY/]MM/DD HH:MM:SS - mmengine - ...``: the console's lines or
    the log file's), for runs trained outside the campaign (adopted with
    :func:`adopt`)."""
    import datetime
    stamps = []
    with open(log_path, errors='replace') as f:
        for line in f:
            m = re.match(r'(?:\d{4}/)?(\d\d/\d\d \d\d:\d\d:\d\d) - mmengine',
                         line)
            if m:
                stamps.append(
                    datetime.datetime.strptime('2000/' + m.group(1),
                                               '%Y/%m/%d %H:%M:%S'))
    if len(stamps) < 2:
        raise ValueError(f'no timestamped lines in {log_path}')
    delta = stamps[-1] - stamps[0]
    if delta.total_seconds() < 0:  # across new year
        delta += datetime.timedelta(days=366)
    return delta.total_seconds()


def adopt(run: Run, work_root: str, log_name='train.out',
          source: Optional[str] = None) -> None:
    """Mark a run trained outside the campaign with the same resolved
    config as finished, with the wall time of its log (a list of names:
    the sum over a resumed run's logs), so the campaign records it without
    training again. ``source`` (e.g. the other campaign's run) goes into
    the record as ``adopted``."""
    work = osp.join(work_root, run.name)
    logs = [log_name] if isinstance(log_name, str) else list(log_name)
    seconds = sum(log_wall_seconds(osp.join(work, name)) for name in logs)
    with open(osp.join(work, 'trained.json'), 'w') as f:
        json.dump(dict(seconds=seconds, resumed=len(logs) > 1,
                       adopted=source or True), f)


def _test_key(run: Run) -> str:
    return 'test_retrieval' if run.retrieval_config else 'test_top1'


def final_read(run: Run, work: str, log: str, threads_env: dict) -> dict:
    """The final read of a run's last checkpoint on the test set:
    ``{part: kNN top-1}`` (tools/knn.py, k = 200, T = 0.1) or, for a run
    with a ``retrieval_config``, ``{part: {'recall@K': %, 'nmi': %}}``
    (tools/retrieval.py). The tool's JSON is kept in the work directory,
    so a repeated read costs nothing."""
    if run.retrieval_config:
        out = osp.join(work, 'retrieval_test.json')
        cmd = ['tools/retrieval.py', run.retrieval_config,
               last_checkpoint(work), '--out', out]
    else:
        out = osp.join(work, 'knn_test.json')
        # --exact: the search every recorded read used, so new records
        # compare with old ones bit for bit
        cmd = ['tools/knn.py', run.config, last_checkpoint(work), '--k',
               '200', '--temperature', '0.1', '--exact', '--no-progress',
               '--out', out]
        if run.options:  # knn.py refuses an empty --cfg-options
            cmd += ['--cfg-options', *run.options]
    if not osp.exists(out):
        _run(cmd, log, threads_env)
    with open(out) as f:
        result = json.load(f)
    if run.retrieval_config:
        return result['results']
    return {part: acc['200']['top1']
            for part, acc in result['accuracy'].items()}


def val_read(run: Run, work: str, log: str, threads_env: dict) -> dict:
    """Recall@K and NMI of a run's last checkpoint on its retrieval
    config's validation split (``tools/retrieval.py --split val``):
    ``{part: {'recall@K': %, 'nmi': %}}``, kept in the work directory."""
    out = osp.join(work, 'retrieval_val.json')
    if not osp.exists(out):
        _run(['tools/retrieval.py', run.retrieval_config,
              last_checkpoint(work), '--split', 'val', '--out', out], log,
             threads_env)
    with open(out) as f:
        return json.load(f)['results']


def _train(run: Run, work: str, threads_env: dict,
           branch_point=None) -> dict:
    """Train ``run`` in ``work`` unless its ``trained.json`` says it
    finished: resume from the work directory's checkpoint, or else from
    ``branch_point()`` (a checkpoint path) if given. Returns
    ``trained.json`` (``seconds`` of training, ``resumed``)."""
    trained = osp.join(work, 'trained.json')
    if not osp.exists(trained):
        args = run.train_args(work)
        resumed = has_checkpoint(work)
        if resumed:
            args.append('--resume')
        elif branch_point is not None:
            args += ['--resume', branch_point()]
        start = time.time()
        _run(args, osp.join(work, 'campaign.out'), threads_env)
        with open(trained, 'w') as f:
            json.dump(dict(seconds=time.time() - start, resumed=resumed), f)
    with open(trained) as f:
        return json.load(f)


def train_branch_point(run: Run, work_root: str,
                       threads_env: dict = ONE_THREAD) -> str:
    """Train (or resume, or find finished) the shared first epochs of
    branched runs once, also when two campaigns want them at the same time
    (a file lock), and return its last checkpoint."""
    work = osp.join(work_root, run.name)
    os.makedirs(work, exist_ok=True)
    with open(osp.join(work, 'branch.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        _train(run, work, threads_env)
    return last_checkpoint(work)


def train_and_record(run: Run, work_root: str, records_dir: str,
                     threads_env: dict = ONE_THREAD,
                     do_commit: bool = False) -> dict:
    """Train (or resume) one run, evaluate it and write its record."""
    record_path = osp.join(records_dir, f'{run.name}.json')
    work = osp.join(work_root, run.name)
    log = osp.join(work, 'campaign.out')
    if osp.exists(record_path):
        with open(record_path) as f:
            record = json.load(f)
        if not run.test or _test_key(run) in record:
            return record
        # a finished run's final read: its training figures stay as recorded
        record[_test_key(run)] = final_read(run, work, log, threads_env)
        return _write_record(record, record_path, do_commit)
    os.makedirs(work, exist_ok=True)
    branch = run.branch_from
    train_info = _train(
        run, work, threads_env, None if branch is None else
        lambda: train_branch_point(branch, work_root, threads_env))
    record = dict(name=run.name, config=run.config, options=run.options,
                  seed=run.seed, command=run.command(), **run.meta)
    minutes = train_info['seconds'] / 60
    if branch is None:
        record.update(read_scalars(work))
    else:
        branch_work = osp.join(work_root, branch.name)
        record.update(read_scalars(work, branch_work))
        with open(osp.join(branch_work, 'trained.json')) as f:
            branch_minutes = json.load(f)['seconds'] / 60
        record['branched_from'] = dict(
            name=branch.name, command=branch.command(),
            checkpoint=osp.basename(last_checkpoint(branch_work)),
            minutes=branch_minutes)
        minutes += branch_minutes  # the run's whole cost
    record['train_minutes'] = minutes
    record['resumed'] = train_info['resumed']
    if train_info.get('adopted'):  # trained outside the campaign: by what
        record['adopted'] = train_info['adopted']
    if run.val_retrieval:
        record['val_retrieval'] = val_read(run, work, log, threads_env)
    if run.test:
        record[_test_key(run)] = final_read(run, work, log, threads_env)
    return _write_record(record, record_path, do_commit)


def _write_record(record: dict, record_path: str, do_commit: bool) -> dict:
    """Write ``record`` atomically (and commit it with ``do_commit``)."""
    os.makedirs(osp.dirname(record_path), exist_ok=True)
    tmp = record_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=2)
    os.replace(tmp, record_path)
    if do_commit:
        commit([record_path], f"campaign record: {record['name']}")
    return record


def run_campaign(runs: Sequence[Run], work_root: str, records_dir: str,
                 parallel: int = 2, do_commit: bool = False,
                 on_record=None) -> List[Optional[dict]]:
    """Train every run, ``parallel`` at a time with one thread each
    (``parallel=1``: one run with every core). ``on_record(record)`` is
    called (serialised) after each finished run, e.g. to rewrite a table.
    A failed run is reported and the others go on."""
    threads_env = ONE_THREAD if parallel > 1 else {}
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError(f'run names must be unique: {names}')
    lock = threading.Lock()

    def one(run):
        try:
            print(f'== {run.name}: start', flush=True)
            rec = train_and_record(run, work_root, records_dir, threads_env,
                                   do_commit)
        except Exception as err:  # report, let the others go on
            print(f'== {run.name}: FAILED: {err}', flush=True)
            return None
        print(f'== {run.name}: done', flush=True)
        if on_record is not None:
            with lock:
                on_record(rec)
        return rec

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, runs))
