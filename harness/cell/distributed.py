"""Several training processes in one job (one per GPU): rank 0 runs the cell, the others only train.

A job gets ``scale.processes_per_node`` tasks from its launcher (submitit sets
one task per process, SLURM's ``srun`` starts them).
:func:`setup` turns a submitit multi-task job into the ``env://`` variables
torch, accelerate and TRL read, and joins the process group (NCCL on GPUs,
gloo on CPUs). Rank 0 keeps the whole cell logic (the train-once lock, W&B,
evaluation, result files) and sends one decision to the other ranks
(:class:`Decision`): ``train`` (all ranks enter TRL's GRPOTrainer together) or
``skip``. After training every rank calls :func:`teardown`, so rank 0 evaluates
alone, as a one-process job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def world() -> World:
    return World(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")))


def setup(processes_per_node: int = 1, timeout_min: float = 60.0) -> World:
    """Export the torch.distributed variables of a multi-task submitit job and join the group.

    A no-op for one process. ``processes_per_node > 1`` without a launcher that
    started the processes is a configuration error, not a silent single process.
    The group's timeout is the job's (``timeout_min``), not torch's default: the
    other ranks wait in a collective while rank 0 waits for the train-once lock,
    which another job may hold for hours.
    """
    if os.environ.get("SUBMITIT_EXECUTOR") and "WORLD_SIZE" not in os.environ:
        import submitit
        from submitit.helpers import TorchDistributedEnvironment

        if submitit.JobEnvironment().num_tasks > 1:
            # accelerate picks cuda:LOCAL_RANK itself; narrowing CUDA_VISIBLE_DEVICES would break that
            TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
    w = world()
    if processes_per_node > 1 and w.size == 1:
        raise RuntimeError(
            f"scale.processes_per_node={processes_per_node} needs a launcher that starts the processes: "
            "run with -m (hydra/launcher=local|slurm starts one task per process)"
        )
    if w.size > 1:
        import torch
        import torch.distributed as dist

        if not dist.is_initialized():
            if torch.cuda.is_available():
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group(
                "nccl" if torch.cuda.is_available() else "gloo", timeout=timedelta(minutes=timeout_min)
            )
    return w


class Decision:
    """Rank 0's one decision per job, received by every other rank (a no-op in one process)."""

    def __init__(self) -> None:
        self.sent: str | None = None

    def send(self, value: str) -> str:
        """Rank 0: broadcast ``value`` (once; later calls return the first value)."""
        if self.sent is None:
            self.sent = _broadcast(value)
        return self.sent

    @staticmethod
    def receive() -> str:
        """Ranks > 0: wait for rank 0's decision."""
        return _broadcast(None)


def _broadcast(value: str | None) -> str:
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return str(value)
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return str(box[0])


def teardown(wait: bool = True) -> None:
    """Leave the process group (after a barrier unless ``wait=False``, e.g. on an error) and
    accelerate's cached process state, so what follows runs as one process: lm-eval's HF model
    would otherwise see the training world and shard evaluation over ranks that have left.
    A no-op in a one-process job."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    if wait:
        dist.barrier()
    dist.destroy_process_group()
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)  # accelerate's own reset (used by its tests)
    for k in _ENV:
        os.environ.pop(k, None)
