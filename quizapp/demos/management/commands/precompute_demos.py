"""Compute each demo's default run ahead, so the demo page, the question page and the study card show a result
on arrival. Only what the current engine version lacks is computed: a second call computes nothing, and a new
ENGINE_VERSION computes everything again. `make run`, compose and deployments call it after migrating.

It computes in this process rather than queueing to the workers: it needs no worker up yet (compose starts
them beside it), it knows each demo's outcome when it exits (a failure reported, the exit status non-zero),
and it costs the same CPU, at the workers' lower priority and with the engine's thread policy. Run it in the
background: the web need not wait for it (a page without a result yet still offers to run the demo).
"""

import time

from django.core.management.base import BaseCommand, CommandError

import engine
from quizapp.core.priority import lower_cpu_priority
from quizapp.demos import services


class Command(BaseCommand):
    help = "Compute the default run of every demo that the current engine version lacks; exit 1 if any fails."

    def add_arguments(self, parser):
        parser.add_argument("demo_ids", nargs="*", metavar="DEMO", help="only these demos (default: all)")

    def handle(self, *args, demo_ids: list[str], **options):
        try:
            specs = [engine.get_demo(demo_id) for demo_id in demo_ids] or engine.all_demos()
        except KeyError as error:
            raise CommandError(error.args[0]) from None
        lower_cpu_priority()
        services.demo_runs_expire_stale()  # a run left "running" by a killed earlier call must not count as done
        failed = []
        for spec in specs:
            started = time.perf_counter()
            try:
                run = services.demo_run_precompute(demo_id=spec.id)
            except Exception as error:  # one broken demo must not keep the others from their results
                failed.append(spec.id)
                self.stderr.write(f"{spec.id}: FAILED: {type(error).__name__}: {error}")
                continue
            if run is None:
                self.stdout.write(f"{spec.id}: nothing to compute (engine {engine.ENGINE_VERSION} has its default run "
                                  "or is computing it)")
            else:
                self.stdout.write(f"{spec.id}: computed in {time.perf_counter() - started:.1f} s "
                                  f"on {run.result['device_name']}")
        if failed:
            raise CommandError(f"default runs failed: {', '.join(failed)}")
