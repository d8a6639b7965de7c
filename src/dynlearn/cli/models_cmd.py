"""``dynlearn models`` / ``fit`` / ``forecast``: the model registry and CSV workflows."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import (
    COLUMNS,
    FILL,
    RESAMPLE,
    TIME_COLUMN,
    console,
    err_console,
    load_data,
    option_flags,
    parse_sets,
    read_options,
)

app = typer.Typer(help="The model registry.", no_args_is_help=True)


def _config_fields(cls) -> list[dict]:
    hints = typing.get_type_hints(cls.Config)
    out = []
    for f in dataclasses.fields(cls.Config):
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append({"name": f.name, "type": getattr(hints[f.name], "__name__", str(hints[f.name])), "default": default})
    return out


def _capability_words(caps: dict) -> str:
    """``{"inputs": True, "needs_uniform_sampling": False, ...}`` -> ``"inputs, irregular sampling"``."""
    words = []
    for key, value in caps.items():
        if key == "needs_uniform_sampling":
            if value is False:
                words.append("irregular sampling")
        elif value is True:
            words.append(key.replace("_", " "))
    return ", ".join(words) or "-"


@app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every registered model with its capabilities."""
    from dynlearn.models import MODELS

    records = []
    for name, cls in MODELS.items():
        # the docstring's first paragraph, on one line (its first line may end mid-sentence)
        summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        records.append(
            {
                "name": name,
                "summary": summary,
                "capabilities": dataclasses.asdict(cls.capabilities),
                "config": _config_fields(cls),
            }
        )
    if as_json:
        typer.echo(json.dumps(records, indent=2, default=str))
        return
    table = Table(title="registered models")
    for col in ("name", "summary", "capabilities", "config (defaults)"):
        table.add_column(col)
    for r in records:
        cfg = ", ".join(f"{c['name']}={c['default']}" for c in r["config"])
        table.add_row(r["name"], r["summary"], _capability_words(r["capabilities"]), cfg)
    console.print(table)
    console.print(
        "capabilities: inputs = takes exogenous inputs; probabilistic = forecasts a distribution; "
        "continuous time = a vector field, forecasts at any step; irregular sampling = fits unevenly sampled data. "
        "Options: `dynlearn fit DATA --model NAME --set KEY=VALUE`."
    )


def fit(
    data: Path = typer.Argument(..., help="Training data: .csv (header, optional 'time' column) or .npz."),
    model: str = typer.Option(..., "--model", "-m", help="Registered model name (see `dynlearn models list`)."),
    set_: list[str] = typer.Option(None, "--set", help="Config override KEY=VALUE (repeatable)."),
    dt: float = typer.Option(None, "--dt", help="Sampling step when the CSV has no time column (default 1)."),
    out: Path = typer.Option(None, "--out", "-o", help="Model directory to write (default: model-NAME)."),
    time_column: str = TIME_COLUMN,
    columns: str = COLUMNS,
    fill: str = FILL,
    resample: str = RESAMPLE,
    force: bool = typer.Option(
        False, "--force", help="Replace whatever is at --out, even if it is not a dynlearn model directory."
    ),
) -> None:
    """Fit a model on a data file and save it to a directory."""
    from dynlearn import models
    from dynlearn.cli import data_cmd
    from dynlearn.errors import OutputExistsError
    from dynlearn.models.base import check_save_target

    # every check that needs no data comes first: a typo must not cost a read and a fit
    sets = parse_sets(set_)
    m = models.create(model, **sets)
    out = out or Path(f"model-{m.name}")
    target = check_save_target(out, overwrite=force, flag="--force")
    if target == data.resolve() or target in data.resolve().parents:
        raise OutputExistsError(f"the training data {data} is inside {out}; save the model to another folder")
    options = read_options(time_column, columns, fill, resample)
    traj = load_data(data, dt=dt, **options)
    note = data_cmd.defaults_note(m.name, traj, data, sets, option_flags(options))
    if note:
        err_console.print(note, highlight=False, soft_wrap=True)
    data_cmd.check_uniform(m, traj, data)
    m.fit(traj)
    m.save(out, overwrite=force)
    data_cmd.record_data(out, traj)
    err_console.print(f"fitted {m!r} on {data} ({getattr(traj, 'dim', None) or traj[0].dim} dims)")
    describe = getattr(m, "equations", None)
    if callable(describe):
        console.print(describe())
    console.print(f"saved to {out}")


def forecast(
    model_dir: Path = typer.Argument(..., help="A directory written by `dynlearn fit` or Model.save."),
    context: Path = typer.Option(..., "--context", "-c", help="Recent states (.csv/.npz); the last rows are used."),
    horizon: int = typer.Option(..., "--horizon", "-n", help="Number of future steps to forecast (>= 0)."),
    dt: float = typer.Option(None, "--dt", help="Sampling step when the CSV has no time column."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the forecast as CSV here (default: print it)."),
    time_column: str = TIME_COLUMN,
    columns: str = COLUMNS,
    fill: str = FILL,
    resample: str = RESAMPLE,
    force: bool = typer.Option(False, "--force", help="Replace an existing file at --out."),
) -> None:
    """Forecast HORIZON steps after the context with a saved model (closed loop).

    The context must have the model's columns and its time step; the forecast's
    times continue the context in the model's own forecast step.
    """
    from dynlearn import models
    from dynlearn.cli import data_cmd
    from dynlearn.data import Trajectory, write_csv

    if out is not None:
        from dynlearn.io_utils import check_output_file

        check_output_file(out, force=force, inputs=(context,))
    m = models.load(model_dir)
    ctx = load_data(context, dt=dt, **read_options(time_column, columns, fill, resample))
    if not isinstance(ctx, Trajectory):
        ctx = ctx[0]
    data_cmd.check_context(model_dir, m, ctx, context, dt_given=dt is not None)
    pred = m.predict(ctx.states, horizon)
    if horizon == 0:
        err_console.print("horizon 0: nothing to forecast")
        return
    result = data_cmd.forecast_trajectory(m, ctx, pred)
    variables = result.meta.get("variables")
    if out:
        write_csv(result, out, variables=variables)
        err_console.print(f"wrote {horizon} forecast steps to {out}")
    else:
        names = variables or [f"x{i}" for i in range(pred.shape[1])]
        typer.echo(",".join(["time", *names]))
        for t, row in zip(data_cmd.time_labels(result), pred):
            typer.echo(",".join([t, *(f"{v:.10g}" for v in row)]))
