"""Live training curves (textual-plotext): loss and learning rate against the step."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot


class TrainCharts(Horizontal):
    DEFAULT_CLASSES = "train-charts"

    def __init__(self, id: str | None = None):
        super().__init__(id=id)
        self.steps: list[int] = []
        self.loss: list[float] = []
        self.lr_steps: list[int] = []
        self.lr: list[float] = []

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="loss-plot")
        yield PlotextPlot(id="lr-plot")

    def on_mount(self) -> None:
        self.redraw()

    def clear(self) -> None:
        self.steps, self.loss, self.lr_steps, self.lr = [], [], [], []
        self.redraw()

    def add(self, step: int, loss: float | None = None, lr: float | None = None) -> None:
        if loss is not None:
            self.steps.append(step)
            self.loss.append(float(loss))
        if lr is not None:
            self.lr_steps.append(step)
            self.lr.append(float(lr))
        self.redraw()

    def redraw(self) -> None:
        for wid, title, xs, ys in (
            ("#loss-plot", "loss", self.steps, self.loss),
            ("#lr-plot", "learning rate", self.lr_steps, self.lr),
        ):
            plot = self.query_one(wid, PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            plt.xlabel("step")
            if xs:
                plt.plot(xs, ys, marker="braille")
            plot.refresh()
