"""The demos, one module each, all of one shape, so a new demo is written by filling in the science:

    @dataclass(frozen=True)
    class Measurements:             # everything measured, nothing worded; derived numbers as properties
        params: dict
        ...

    def measure(params, progress: Progress) -> Measurements:   # the only function that computes
    def summary(measured) -> list[Metric]
    def conclude(measured) -> Conclusion                       # text and verdict from the same branch
    def charts(measured) -> list[Chart]                        # and/or heatmaps(), tables()

    SPEC = DemoSpec(..., run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts))

`measure` plans its work with `progress.plan(units)` and calls `progress.advance(message)` after each
unit (`execute` reports DONE at the end), draws random numbers from `engine.runtime.generator()`, and
times device work with `engine.timing`. A module also defines CROSS_DEVICE_METRICS (summary keys that
must agree between CPU and CUDA, with their tolerance) and, when it measures wall-clock time,
TIMING_METRICS (the summary keys that vary from run to run).
"""
