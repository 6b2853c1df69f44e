"""Realistic generated inputs: a loop sorter, a cross-border forecast, an hour of scans.

The mix follows what an export hub sees: tens of destination countries, each served by its
postal operator, local couriers, consolidators and the express integrators, at economy,
standard and express service; a long-tailed volume per sort key (a few lanes carry most of
it); a few percent oversize, unreadable labels and restricted goods. Deterministic per seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.errors import InputError
from optimizer.sorting.categories import RESTRICTED_CATEGORIES, Category
from optimizer.sorting.forecast import DestinationForecast, Forecast
from optimizer.sorting.jsonio import save_forecast, save_layout, write_scans
from optimizer.sorting.layout import Chute, ChuteType, InductionPoint, SorterLayout
from optimizer.sorting.scan import ParcelScan

# country, relative e-commerce import volume, continent, regions a big country is split into
COUNTRIES = [
    ("US", 30, "AM", ("EAST", "CENTRAL", "WEST", "SOUTH")),
    ("GB", 10, "EU", ("LON", "NORTH", "SCOT")),
    ("DE", 9, "EU", ("NORTH", "SOUTH")),
    ("FR", 8, "EU", ("PARIS", "SUD")),
    ("JP", 6, "AS", ("KANTO", "KANSAI")),
    ("CA", 5, "AM", ("EAST", "WEST")),
    ("AU", 5, "OC", ("EAST", "WEST")),
    ("ES", 4, "EU", ()),
    ("IT", 4, "EU", ()),
    ("KR", 4, "AS", ()),
    ("BR", 4, "AM", ("SE", "NE")),
    ("MX", 3, "AM", ()),
    ("NL", 3, "EU", ()),
    ("PL", 3, "EU", ()),
    ("SA", 2, "ME", ()),
    ("AE", 2, "ME", ()),
    ("IL", 2, "ME", ()),
    ("SE", 2, "EU", ()),
    ("CH", 2, "EU", ()),
    ("BE", 2, "EU", ()),
    ("AT", 1.5, "EU", ()),
    ("NO", 1.5, "EU", ()),
    ("DK", 1.5, "EU", ()),
    ("IE", 1.2, "EU", ()),
    ("PT", 1.2, "EU", ()),
    ("CZ", 1.2, "EU", ()),
    ("NZ", 1.0, "OC", ()),
    ("SG", 1.0, "AS", ()),
    ("MY", 1.0, "AS", ()),
    ("TH", 1.0, "AS", ()),
    ("PH", 0.8, "AS", ()),
    ("CL", 0.8, "AM", ()),
    ("CO", 0.7, "AM", ()),
    ("TR", 0.7, "EU", ()),
    ("FI", 0.6, "EU", ()),
    ("GR", 0.5, "EU", ()),
    ("HU", 0.5, "EU", ()),
    ("RO", 0.5, "EU", ()),
]
INTEGRATORS = ("DHLX", "UPS", "FDX")
CONSOLIDATORS = ("YUN", "CNE", "4PX")
SERVICES = (
    ("ECO", "economy", 0.5, 350.0),
    ("STD", "standard", 0.35, 700.0),
    ("EXP", "express", 0.15, 1200.0),
)
SIZE_DIMENSIONS = {  # (length, width, height) ranges in mm
    "small": ((150, 300), (100, 220), (20, 100)),
    "medium": ((300, 450), (200, 350), (100, 250)),
    "large": ((450, 750), (300, 550), (200, 500)),
    "oversize": ((850, 1500), (400, 800), (300, 700)),
}
SIZE_WEIGHT_FACTOR = {"small": 0.6, "medium": 1.2, "large": 2.5, "oversize": 6.0}
DEFAULT_RATE = 20_000.0
NO_READ_SHARE = 0.012
UNKNOWN_SHARE = 0.003
CONTAINER_PARCELS = 120  # a gaylord (pallet box) under a destination chute
CONTAINER_KG = 400.0
BAG_PARCELS = 80  # a postal sack: light parcels fill it by count, heavier ones by weight
BAG_KG = 30.0  # the UPU limit for a mail bag
BAG_SHARE = 0.3  # of destination chutes
SPECIAL_CONTAINER_PARCELS = 150
SWAP_INTERVAL_S = 1800.0


def _lanes() -> list[tuple[str, str, str, str, float, str, float]]:
    """Every (sort key, country, carrier, service, weight, hand-over, mean weight) candidate."""
    lanes = []
    for country, volume, continent, regions in COUNTRIES:
        carriers = [(f"{country}POST", 0.45, f"{country}POST", "postal")]
        carriers += [(f"{country}CX", 0.15, f"{country}CX", "courier")]
        carriers += [(c, 0.08, f"{c}-{continent}", "consolidator") for c in CONSOLIDATORS]
        carriers += [(c, 0.05, c, "integrator") for c in INTEGRATORS]
        for carrier, carrier_share, handover, kind in carriers:
            for code, _, service_share, weight_g in SERVICES:
                if kind == "integrator" and code == "ECO":
                    continue
                if kind == "consolidator" and code == "EXP":
                    continue
                split = regions if kind == "postal" and regions else ("",)
                for region in split:
                    key = "-".join(x for x in (country, carrier, code, region) if x)
                    share = volume * carrier_share * service_share / len(split)
                    lanes.append((key, country, carrier, code, share, handover, weight_g))
    return lanes


def generate_forecast(
    destinations: int = 600, seed: int = 1, rate: float = DEFAULT_RATE, wave: str = ""
) -> Forecast:
    """A cross-border forecast of `destinations` sort keys totalling `rate` parcels/h."""
    lanes = _lanes()
    if not 1 <= destinations <= len(lanes):
        raise InputError(f"must be between 1 and {len(lanes)}", field="destinations")
    if not rate > 0:
        raise InputError("must be > 0", field="rate")
    rng = np.random.default_rng(seed)
    weights = np.array([lane[4] for lane in lanes])
    drawn = rng.choice(len(lanes), size=destinations, replace=False, p=weights / weights.sum())
    chosen = sorted(drawn, key=lambda i: -weights[i])
    # Long tail: volume falls with the lane's rank (Zipf, s ~ 1), with lane-level noise.
    ranks = np.arange(1, destinations + 1)
    volume = ranks**-1.0 * rng.lognormal(0.0, 0.35, destinations)
    volume = volume / volume.sum() * rate
    service_names = {code: name for code, name, _, _ in SERVICES}
    result = []
    for k, i in enumerate(chosen):
        key, country, carrier, code, _, handover, weight_g = lanes[i]
        restricted = {
            Category.BATTERY: rng.uniform(0.01, 0.05),
            Category.LIQUID: rng.uniform(0.005, 0.025),
            Category.COSMETICS: rng.uniform(0.01, 0.03),
            Category.FOOD: rng.uniform(0.0, 0.02),
        }
        mix = {Category.GENERAL: 1.0 - sum(restricted.values()), **restricted}
        oversize = rng.uniform(0.01, 0.05)
        sizes = {"small": 0.55 - oversize, "medium": 0.31, "large": 0.14, "oversize": oversize}
        result.append(
            DestinationForecast(
                destination=key,
                parcels_per_hour=float(volume[k]),
                carrier=carrier,
                country=country,
                service=service_names[code],
                handover=handover,
                mean_weight_g=float(weight_g * rng.lognormal(0.0, 0.2)),
                category_mix={c: round(float(v), 4) for c, v in mix.items()},
                size_mix={s: round(float(v), 4) for s, v in sizes.items()},
            )
        )
    return Forecast(tuple(result), NO_READ_SHARE, UNKNOWN_SHARE, wave or f"generated-seed-{seed}")


def generate_layout(
    chutes: int = 300, seed: int = 1, rate: float = DEFAULT_RATE, sorter_id: str = ""
) -> SorterLayout:
    """A loop sorter with `chutes` chutes sized for `rate` parcels/h.

    Inductions sit together at the start of the loop; chutes line both sides of it. Special
    chutes (no-read, reject, exception, oversize) are at the far end, where parcels that
    cannot be sorted end their loop. Some destination chutes are fitted for restricted goods;
    about a third hold postal sacks (80 parcels, 30 kg) instead of gaylords (120, 400 kg).
    """
    if chutes < 12:
        raise InputError("a sorter needs at least 12 chutes", field="chutes")
    if not rate > 0:
        raise InputError("must be > 0", field="rate")
    rng = np.random.default_rng(seed + 7919)
    per_interval = rate * SWAP_INTERVAL_S / 3600.0
    special_load = {  # parcels per swap interval, at half a container per chute
        ChuteType.OVERSIZE: per_interval * 0.03,
        ChuteType.NO_READ: per_interval * NO_READ_SHARE,
        ChuteType.EXCEPTION: per_interval * (UNKNOWN_SHARE + 0.005),
        ChuteType.REJECT: 0.0,
    }
    special = {
        kind: max(1, math.ceil(load / (0.5 * SPECIAL_CONTAINER_PARCELS)))
        for kind, load in special_load.items()
    }
    restricted_share = {
        Category.BATTERY: 0.03,
        Category.LIQUID: 0.015,
        Category.COSMETICS: 0.02,
        Category.FOOD: 0.01,
    }
    capable = {
        c: max(1, math.ceil(per_interval * share / (0.5 * CONTAINER_PARCELS)) + 1)
        for c, share in restricted_share.items()
    }
    n_special = sum(special.values())
    n_destination = chutes - n_special
    if n_destination < sum(capable.values()) + 4:
        raise InputError(f"{chutes} chutes are too few for {rate:.0f} parcels/h", field="chutes")
    pitch = 1.6
    start = 20.0
    loop = start + math.ceil(chutes / 2) * pitch + 15.0
    positions = [start + (k // 2) * pitch for k in range(chutes)]
    kinds = [ChuteType.DESTINATION] * n_destination
    for kind in (ChuteType.OVERSIZE, ChuteType.EXCEPTION, ChuteType.REJECT, ChuteType.NO_READ):
        kinds += [kind] * special[kind]
    categories = [frozenset({Category.GENERAL})] * n_destination
    fitted = rng.choice(
        np.arange(n_destination // 3, n_destination), size=sum(capable.values()), replace=False
    )
    k = 0
    for category, count in capable.items():
        for _ in range(count):
            categories[int(fitted[k])] = frozenset({Category.GENERAL, category})
            k += 1
    bags = rng.random(n_destination) < BAG_SHARE
    bags[fitted] = False  # restricted goods go into gaylords (fire-safe, sealed ones)
    result = []
    for index, (position, kind) in enumerate(zip(positions, kinds, strict=True)):
        is_special = kind != ChuteType.DESTINATION
        oversize = kind in (ChuteType.OVERSIZE, ChuteType.REJECT, ChuteType.EXCEPTION)
        result.append(
            Chute(
                id=f"C{index + 1:03d}",
                position_m=round(position, 2),
                type=kind,
                capacity_parcels=SPECIAL_CONTAINER_PARCELS
                if is_special
                else BAG_PARCELS
                if bags[index]
                else CONTAINER_PARCELS,
                capacity_kg=1000.0 if is_special else BAG_KG if bags[index] else CONTAINER_KG,
                max_length_mm=1600 if oversize else 800,
                max_width_mm=900 if oversize else 600,
                max_height_mm=800 if oversize else 600,
                max_weight_g=50_000 if oversize else 30_000,
                categories=categories[index] if not is_special else frozenset({Category.GENERAL}),
            )
        )
    inductions = tuple(InductionPoint(f"IND-{k + 1}", 2.0 + 3.0 * k) for k in range(4))
    return SorterLayout(
        sorter_id=sorter_id or f"SRT-{seed}",
        loop_length_m=round(loop, 2),
        speed_m_s=2.0,
        induction_points=inductions,
        chutes=tuple(result),
        swap_interval_s=SWAP_INTERVAL_S,
        swap_duration_s=20.0,
        full_response_s=120.0,
        max_recirculations=3,
    )


def _s10_id(serial: int, prefix: str = "LP", origin: str = "CN") -> str:
    """A UPU S10 tracking number (the format on cross-border postal labels)."""
    digits = f"{serial % 100_000_000:08d}"
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"{prefix}{digits}{check}{origin}"


def generate_parcels(
    forecast: Forecast,
    layout: SorterLayout,
    seed: int = 1,
    hours: float = 1.0,
    rate: float | None = None,
) -> list[ParcelScan]:
    """Scans of a shift: Poisson arrivals at `rate` (default: the forecast total), from its mix."""
    rate = forecast.total_parcels_per_hour if rate is None else rate
    if not rate > 0 or not hours > 0:
        raise InputError("rate and hours must be > 0", field="rate")
    rng = np.random.default_rng(seed + 104729)
    count = int(rng.poisson(rate * hours))
    arrivals = np.sort(rng.uniform(0.0, hours * 3600.0, count))
    dests = forecast.destinations
    volumes = np.array([d.parcels_per_hour for d in dests])
    picks = rng.choice(len(dests), size=count, p=volumes / volumes.sum())
    uniform = rng.random((count, 6))
    inductions = [p.id for p in layout.induction_points]
    induction_picks = rng.integers(0, len(inductions), count)
    categories = list(Category)
    sizes = ("small", "medium", "large", "oversize")
    scans = []
    for n in range(count):
        d = dests[int(picks[n])]
        category_p = np.array([d.category_share(c) for c in categories])
        category = categories[
            int(np.searchsorted(np.cumsum(category_p), uniform[n, 0] * category_p.sum()))
        ]
        size_p = np.array([d.size_mix.get(s, 0.0) for s in sizes])
        size = sizes[int(np.searchsorted(np.cumsum(size_p), uniform[n, 1] * size_p.sum()))]
        (l_lo, l_hi), (w_lo, w_hi), (h_lo, h_hi) = SIZE_DIMENSIONS[size]
        dims = rng.uniform((l_lo, w_lo, h_lo), (l_hi, w_hi, h_hi))
        weight = d.mean_weight_g * SIZE_WEIGHT_FACTOR[size] * rng.lognormal(0.0, 0.4)
        weight = min(weight, 45_000.0 if size == "oversize" else 29_000.0)
        destination: str | None = d.destination
        if category not in RESTRICTED_CATEGORIES and uniform[n, 2] < forecast.no_read_share:
            destination = None
        elif uniform[n, 3] < forecast.unknown_share:
            destination = f"{d.country or 'XX'}-UNLISTED-{int(uniform[n, 4] * 90) + 10}"
        scans.append(
            ParcelScan(
                parcel_id=_s10_id(seed * 1_000_000 + n),
                destination=destination,
                weight_g=round(float(weight)),
                length_mm=round(float(dims[0])),
                width_mm=round(float(dims[1])),
                height_mm=round(float(dims[2])),
                category=category,
                induction=inductions[int(induction_picks[n])],
                arrival_s=round(float(arrivals[n]), 3),
            )
        )
    return scans


@dataclass(frozen=True)
class GeneratedCase:
    layout: SorterLayout
    forecast: Forecast
    parcels: list[ParcelScan]


@dataclass(frozen=True)
class CaseFiles:
    layout: Path
    forecast: Path
    parcels: Path


def generate_case(
    chutes: int = 300,
    destinations: int = 600,
    seed: int = 1,
    rate: float = DEFAULT_RATE,
    hours: float = 1.0,
) -> GeneratedCase:
    layout = generate_layout(chutes, seed, rate)
    forecast = generate_forecast(destinations, seed, rate)
    return GeneratedCase(layout, forecast, generate_parcels(forecast, layout, seed, hours))


def write_case(case: GeneratedCase, out_dir: str | Path) -> CaseFiles:
    out = Path(out_dir)
    files = CaseFiles(out / "layout.json", out / "forecast.json", out / "parcels.jsonl")
    save_layout(case.layout, files.layout)
    save_forecast(case.forecast, files.forecast)
    write_scans(case.parcels, files.parcels)
    return files
