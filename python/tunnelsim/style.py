"""The one figure style of tunnelsim: palette, sizes, interval marks and file formats.

Every figure (analysis/fig_*.py through analysis/plotlib.py, the report, the comparison
figure of `tunnelsim compare`) draws with this module, so that a tunnel type has the same
colour, marker and line style in every figure and every figure fits a paper column.

- Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
  deficiencies). One colour per tunnel type; GRE-over-IPsec with ESP replay windows 32, 64,
  128 and 1024 gets one colour per window as well, plus its own marker and line style, so the
  curves stay apart in greyscale too (other windows take spare styles).
- Widths: "screen" (6.4 in, the default), "column" (3.5 in, one column of a two-column paper)
  and "page" (7.16 in, the full text width of a two-column paper).
- Formats: any of png, svg, pdf, pgf. PNG is always written (the HTML report embeds it).
  PGF is written without a LaTeX installation: matplotlib's PGF backend asks LaTeX for text
  extents while laying out; here FreeType's extents (the Agg renderer's) stand in for them,
  which positions labels as in the PNG. LaTeX typesets the text itself when the .pgf is
  \\input into a document.
- Intervals: ``point_stats`` gives mean, 95 % half width and n per point
  (tunnelsim.stats, Student t); ``mark_wide`` rings every point whose interval is wider than
  ±15 % of its mean (or has a single seed) and ``interval_note`` writes the number of seeds
  and what the rings mean under the axes.
"""

import math
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import stats  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
             "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "reddish_purple": "#CC79A7"}
GREY = "#7F7F7F"

TUNNEL_NAMES = {"wireguard": "WireGuard", "gre-over-ipsec": "GRE/IPsec", "ipsec": "IPsec",
                "gre": "GRE", "none": "no tunnel"}
# (colour, marker, line style) per tunnel type, and per ESP replay window for the IPsec types.
TUNNEL_STYLES = {
    "none": (OKABE_ITO["black"], "o", "-"),
    "wireguard": (OKABE_ITO["bluish_green"], "s", "-"),
    "gre": (OKABE_ITO["sky_blue"], "^", "-"),
    "ipsec": (GREY, "h", "-"),
    "gre-over-ipsec": (OKABE_ITO["blue"], "D", "-"),
}
WINDOW_STYLES = {
    32: (OKABE_ITO["vermillion"], "v", "--"),
    64: (OKABE_ITO["orange"], "P", "-."),
    128: (OKABE_ITO["reddish_purple"], "X", ":"),
    1024: (OKABE_ITO["blue"], "D", "-"),
}
# Windows the table does not name: further colours and markers, in order of window size.
_SPARE_STYLES = [(OKABE_ITO["sky_blue"], "<", (0, (5, 1))),
                 (GREY, ">", (0, (1, 1))),
                 (OKABE_ITO["yellow"], "d", (0, (3, 1, 1, 1, 1, 1)))]
# TCP stacks, in every figure that compares them: real Linux (the reference) black and dashed.
STACK_STYLES = {"kernel": (OKABE_ITO["black"], "o", "--"),
                "linux": (OKABE_ITO["blue"], "s", "-"),
                "ns3": (OKABE_ITO["vermillion"], "v", ":")}
# Colours for series that are not tunnels (TCP stacks, comparison sides, event kinds).
SEQUENCE = [OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange",
                                    "reddish_purple", "sky_blue", "black", "yellow")]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

WIDTHS_IN = {"screen": 6.4, "column": 3.5, "page": 7.16}
FONT_PT = {"screen": 10.0, "column": 8.0, "page": 8.0}
FORMATS = ("png", "svg", "pdf", "pgf")
DPI = 150
# A point whose 95 % interval is wider than this fraction of its mean is marked.
WIDE_FRACTION = 0.15

_settings = {"formats": ("png", "svg"), "width": "screen"}


def parse_formats(text) -> tuple:
    """'pdf,pgf' -> ('png', 'pdf', 'pgf'): the named formats, PNG always among them."""
    if text is None:
        return _settings["formats"]
    names = [part.strip().lower() for part in
             (text.split(",") if isinstance(text, str) else list(text)) if part.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise ValueError(f"figure formats must be among {', '.join(FORMATS)}; got "
                         f"{text!r}")
    ordered = ["png"] + [n for n in FORMATS if n in names and n != "png"]
    return tuple(ordered)


def configure(formats=None, width: Optional[str] = None) -> None:
    """Sets the formats and width every later figure uses (the --figure-format and --width
    options of the figure scripts and of `tunnelsim report`)."""
    if formats is not None:
        _settings["formats"] = parse_formats(formats)
    if width is not None:
        if width not in WIDTHS_IN:
            raise ValueError(f"width must be one of {', '.join(WIDTHS_IN)}; got {width!r}")
        _settings["width"] = width
    apply()


def current_formats() -> tuple:
    return _settings["formats"]


def current_width() -> str:
    return _settings["width"]


def figsize(aspect: float = 0.62, panels: int = 1) -> tuple:
    """(width, height) in inches at the configured width: `panels` side by side, each
    `aspect` times as high as wide (a panel of a page-wide figure is never taller than a
    column-wide one)."""
    width = WIDTHS_IN[_settings["width"]]
    panel = width / max(panels, 1)
    return (width, round(max(min(panel, WIDTHS_IN["column"]) * aspect, 1.6), 3))


def apply() -> None:
    size = FONT_PT[_settings["width"]]
    plt.rcParams.update({
        "figure.figsize": figsize(), "figure.dpi": 100, "savefig.dpi": DPI,
        "font.size": size, "axes.titlesize": size + 1, "axes.labelsize": size,
        "xtick.labelsize": size - 1, "ytick.labelsize": size - 1,
        "legend.fontsize": size - 1.5, "legend.frameon": False,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "lines.linewidth": 1.4, "lines.markersize": 4.5,
        "errorbar.capsize": 2.5, "axes.prop_cycle": matplotlib.cycler(color=SEQUENCE),
        "svg.hashsalt": "tunnelsim", "svg.fonttype": "none", "pdf.fonttype": 42,
        "pgf.rcfonts": False, "pgf.texsystem": "pdflatex",
    })


apply()


def tunnel_label(tunnel, window=None) -> str:
    name = TUNNEL_NAMES.get(str(tunnel), str(tunnel))
    if str(tunnel) in ("gre-over-ipsec", "ipsec") and _is_number(window):
        return f"{name}, window {int(window)}"
    if str(tunnel) == "wireguard":
        return f"{name} (window 8128)"
    return name


def _is_number(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def tunnel_style(tunnel, window=None) -> dict:
    """matplotlib keyword arguments (color, marker, linestyle) for a tunnel type and, for
    the IPsec types, its replay window."""
    tunnel = str(tunnel)
    if tunnel == "gre-over-ipsec" and _is_number(window):
        window = int(window)
        if window in WINDOW_STYLES:
            colour, marker, line = WINDOW_STYLES[window]
        else:
            colour, marker, line = _SPARE_STYLES[window % len(_SPARE_STYLES)]
        return {"color": colour, "marker": marker, "linestyle": line}
    if tunnel == "ipsec" and _is_number(window):
        _colour, marker, line = WINDOW_STYLES.get(int(window), _SPARE_STYLES[0])
        return {"color": TUNNEL_STYLES["ipsec"][0], "marker": marker, "linestyle": line}
    colour, marker, line = TUNNEL_STYLES.get(tunnel, (GREY, "o", "-"))
    return {"color": colour, "marker": marker, "linestyle": line}


def series_style(index: int) -> dict:
    """Style of the index-th series that is not a tunnel (stacks, A/B sides)."""
    return {"color": SEQUENCE[index % len(SEQUENCE)], "marker": MARKERS[index % len(MARKERS)],
            "linestyle": ["-", "--", "-.", ":"][index % 4]}


# --- intervals -----------------------------------------------------------------------------

def point_stats(values: Iterable) -> dict:
    """mean, ci (95 % Student-t half width; NaN for one seed), n and wide (the interval is
    wider than WIDE_FRACTION of the mean, or undefined) of one point's values over seeds."""
    mean, half, n = stats.mean_ci(list(values))
    wide = n > 0 and (not math.isfinite(half) or half > WIDE_FRACTION * abs(mean))
    return {"mean": mean, "ci": half if math.isfinite(half) else math.nan, "n": n,
            "wide": bool(wide)}


def yerr(points) -> list:
    """Half widths to draw: none (0) where there is no interval (a single seed; such points
    are ringed as wide), since matplotlib cannot draw NaN error bars."""
    return [p["ci"] if math.isfinite(p["ci"]) else 0.0 for p in points]


def errorbars(ax, x, points, style: dict, label: str, **extra):
    """Means with their 95 % intervals as error bars, and a ring on each wide point."""
    xs = list(x)
    means = [p["mean"] for p in points]
    handle = ax.errorbar(xs, means, yerr=yerr(points), label=label, **style, **extra)
    mark_wide(ax, xs, points, style.get("color"))
    return handle


def mark_wide(ax, xs, points, colour) -> int:
    """Rings the points whose interval is wider than ±15 % of the mean; returns how many."""
    wide = [(x, p["mean"]) for x, p in zip(xs, points) if p["wide"]]
    if wide:
        ax.scatter([w[0] for w in wide], [w[1] for w in wide], s=110, facecolors="none",
                   edgecolors=colour, linewidths=1.0, zorder=4)
    return len(wide)


def interval_note(fig, points: Iterable[dict], extra: str = "") -> str:
    """Writes under the figure: the seeds per point, and how many points are ringed."""
    points = list(points)
    ns = sorted({p["n"] for p in points if p["n"]})
    if not ns:
        return ""
    seeds = f"n = {ns[0]}" if len(ns) == 1 else f"n = {ns[0]}-{ns[-1]}"
    wide = sum(p["wide"] for p in points)
    text = f"Mean and 95 % interval over seeds ({seeds} seeds per point)."
    if wide:
        text += (f" Ringed: {wide} of {len(points)} points whose interval exceeds ±"
                 f"{WIDE_FRACTION:.0%} of the mean.")
    else:
        text += f" Every interval is within ±{WIDE_FRACTION:.0%} of its mean."
    if extra:
        text += " " + extra
    footnote(fig, text)
    return text


def _chars_across(inches: float, points: float) -> int:
    """About how many characters of a `points` font fit in `inches`."""
    return max(20, int(inches * 72 / (points * 0.55)))


def title(ax, text: str) -> None:
    """The axes title, wrapped to the axes' width (a column is narrow)."""
    import textwrap
    width_in = WIDTHS_IN[_settings["width"]] * ax.get_position().width
    chars = _chars_across(width_in, plt.rcParams["axes.titlesize"])
    ax.set_title("\n".join(textwrap.fill(line, chars) for line in text.split("\n")))


def suptitle(fig, text: str) -> None:
    """The figure title, wrapped to the figure's width."""
    import textwrap
    fig.suptitle(textwrap.fill(text, _chars_across(WIDTHS_IN[_settings["width"]],
                                                   plt.rcParams["axes.titlesize"])),
                 fontsize=plt.rcParams["axes.titlesize"])


def footnote(fig, text: str) -> None:
    """A small note along the bottom edge; save() makes room for it."""
    import textwrap
    wrapped = textwrap.fill(text, _chars_across(WIDTHS_IN[_settings["width"]] - 0.1,
                                                FONT_PT[_settings["width"]] - 2))
    fig._tunnelsim_footnote = getattr(fig, "_tunnelsim_footnote", []) + [wrapped]


def legend(ax, columns: Optional[int] = None):
    """One legend for the figure, under the axes (and their x labels), where it cannot cover
    data; save() makes room for it."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if columns is None:
        columns = 2 if _settings["width"] == "column" else 3
    ax.figure._tunnelsim_legend = (handles, labels, max(1, min(columns, len(handles))))


# --- saving --------------------------------------------------------------------------------

def _reserve_space(fig) -> None:
    """Grows the figure by what the legend and the footnotes under the axes need, so that the
    axes keep their size, and lays everything out."""
    font = FONT_PT[_settings["width"]]
    width, height = fig.get_size_inches()
    legend_spec = getattr(fig, "_tunnelsim_legend", None)
    notes = getattr(fig, "_tunnelsim_footnote", [])
    note_in = sum(n.count("\n") + 1 for n in notes) * (font - 2) * 1.3 / 72 if notes else 0.0
    legend_in = 0.0
    if legend_spec:
        rows = math.ceil(len(legend_spec[0]) / legend_spec[2])
        legend_in = rows * (font - 1.5) * 1.75 / 72 + 0.06
    extra = note_in + legend_in + (0.05 if notes else 0.0)
    if extra <= 0:
        fig.tight_layout()
        return
    total = height + extra
    fig.set_size_inches(width, total)
    if notes:
        fig.text(0.01, 0.02 / total, "\n".join(notes), fontsize=font - 2, ha="left",
                 va="bottom", color="#333333", linespacing=1.15)
    if legend_spec:
        handles, labels, columns = legend_spec
        fig.legend(handles, labels, loc="lower center", ncol=columns,
                   bbox_to_anchor=(0.5, (note_in + 0.05) / total), borderaxespad=0.0,
                   handlelength=2.6, columnspacing=1.2)
    fig.tight_layout(rect=(0, min(extra / total, 0.7), 1, 1))


@contextmanager
def _pgf_without_latex(dpi: float):
    """Lets matplotlib's PGF backend measure text with FreeType instead of LaTeX."""
    from matplotlib.backends import backend_pgf
    from matplotlib.backends.backend_agg import RendererAgg

    measuring = RendererAgg(10, 10, dpi)
    original = backend_pgf.RendererPgf

    class FreeTypeMeasuredRendererPgf(original):
        def get_text_width_height_descent(self, s, prop, ismath):
            # RendererAgg measures in pixels at its dpi; the PGF renderer works at self.dpi.
            w, h, d = measuring.get_text_width_height_descent(s, prop, ismath)
            scale = self.dpi / dpi
            return w * scale, h * scale, d * scale

    backend_pgf.RendererPgf = FreeTypeMeasuredRendererPgf
    try:
        yield
    finally:
        backend_pgf.RendererPgf = original


def save(fig, out_dir, name: str, formats=None) -> list:
    """Writes the figure in every configured format; returns the paths (PNG first)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _reserve_space(fig)
    paths = []
    for fmt in parse_formats(formats) if formats is not None else current_formats():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "pgf":
            with _pgf_without_latex(fig.dpi):
                fig.savefig(path, backend="pgf")
        elif fmt in ("svg", "pdf"):
            # No dates: the same figure gives the same bytes.
            fig.savefig(path, metadata={"Date": None} if fmt == "svg" else
                        {"CreationDate": None, "ModDate": None})
        else:
            fig.savefig(path)
        paths.append(path)
    plt.close(fig)
    return paths
