"""Named sets of catalog systems a suite can ask for (``systems = "dysts-chaotic-flows"``).

A set is resolved when the suite is loaded, and the stored suite holds the
resolved list, so a run records exactly which systems it covered.

``dysts-chaotic-flows``: the continuous-time systems (ODEs and delay
equations) of our catalog that the dysts database also has (the 135 flows of
``dysts/data/chaotic_attractors.json`` in dysts 0.96, Gilpin 2021/2023), minus
those our invariants record as not chaotic: a largest Lyapunov exponent not
above its standard error, or below ``CHAOS_THRESHOLD`` per dominant period
(the rule of ``dynlearn repro dysts``). The name list is :data:`DYSTS_FLOWS`,
written once from dysts and checked against it by
``tests/oracles/test_dysts_sets.py``.
"""

from __future__ import annotations

from typing import Any

from dynlearn.errors import UnknownNameError, ValidationError

#: λ_max · period at or below this is not chaotic on record (exponent per dominant period)
CHAOS_THRESHOLD = 0.01

#: our names of the dysts 0.96 flows in the catalog (133 of dysts's 135: BickleyJet and
#: SwingingAtwood are not in the catalog)
DYSTS_FLOWS = (
    "Aizawa", "AnishchenkoAstakhov", "Arneodo", "ArnoldBeltramiChildress", "ArnoldWeb", "AtmosphericRegime",
    "BeerRNN", "BelousovZhabotinsky", "Blasius", "BlinkingRotlet", "BlinkingVortex", "Bouali", "Bouali2",
    "BurkeShaw", "CaTwoPlus", "CaTwoPlusQuasiperiodic", "CellCycle", "CellularNeuralNetwork", "Chen", "ChenLee",
    "Chua", "CircadianRhythm", "CoevolvingPredatorPrey", "Colpitts", "Coullet", "Dadras", "DequanLi", "DoubleGyre",
    "DoublePendulum", "Duffing", "ExcitableCell", "Finance", "FluidTrampoline", "ForcedBrusselator",
    "ForcedFitzHughNagumo", "ForcedVanDerPol", "GenesioTesi", "GlycolyticOscillation", "GuckenheimerHolmes",
    "Hadley", "Halvorsen", "HastingsPowell", "HenonHeiles", "HindmarshRose", "Hopfield", "HyperBao", "HyperCai",
    "HyperJha", "HyperLorenz", "HyperLu", "HyperPang", "HyperQi", "HyperRossler", "HyperWang", "HyperXu",
    "HyperYan", "HyperYangChen", "IkedaDelay", "InteriorSquirmer", "IsothermalChemical", "ItikBanksTumor",
    "JerkCircuit", "KawczynskiStrizhak", "Laser", "LidDrivenCavityFlow", "LiuChen", "Lorenz", "Lorenz84",
    "Lorenz96", "LorenzBounded", "LorenzCoupled", "LorenzStenflo", "LuChen", "LuChenCheng", "MacArthur",
    "MackeyGlass", "MooreSpiegel", "MultiChua", "NewtonLiepnik", "NoseHoover", "NuclearQuadrupole",
    "OscillatingFlow", "PanXuZhou", "PehlivanWei", "PiecewiseCircuit", "Qi", "QiChen", "RabinovichFabrikant",
    "RayleighBenard", "RikitakeDynamo", "Rossler", "Rucklidge", "Sakarya", "SaltonSea", "SanUmSrisuchinwong",
    "ScrollDelay", "ShimizuMorioka", "SprottA", "SprottB", "SprottC", "SprottD", "SprottDelay", "SprottE",
    "SprottF", "SprottG", "SprottH", "SprottI", "SprottJ", "SprottJerk", "SprottK", "SprottL", "SprottM",
    "SprottMore", "SprottN", "SprottO", "SprottP", "SprottQ", "SprottR", "SprottS", "SprottTorus",
    "StickSlipOscillator", "Thomas", "ThomasLabyrinth", "Torus", "Tsucs2", "TurchinHanski", "VallisElNino",
    "VossDelay", "WangSun", "WindmiReduced", "YuWang", "YuWang2", "ZhouChen",
)  # fmt: skip


def chaotic_on_record(name: str) -> bool:
    """Whether the catalog's invariants record ``name`` as chaotic: λ_max above its standard
    error and λ_max · period above :data:`CHAOS_THRESHOLD`."""
    from dynlearn import systems

    s = systems.get(name)
    lam = s.max_lyapunov
    if lam is None or not lam > 0:
        return False
    stderr = (s.invariants or {}).get("max_lyapunov_stderr") or 0.0
    return lam > stderr and lam * s.period > CHAOS_THRESHOLD


def dysts_chaotic_flows() -> list[str]:
    """:data:`DYSTS_FLOWS` that are chaotic on record, in catalog order of the list."""
    return [n for n in DYSTS_FLOWS if chaotic_on_record(n)]


SETS = {"dysts-chaotic-flows": dysts_chaotic_flows}


def resolve_systems(value: Any, source: str = "suite") -> list[str]:
    """A suite's ``systems``: a list of names as given, or the members of a named set."""
    if isinstance(value, str):
        if value not in SETS:
            raise UnknownNameError("system set", value, list(SETS))
        return SETS[value]()
    if not isinstance(value, (list, tuple)):
        raise ValidationError(f"{source}: systems must be a list of names or the name of a set ({', '.join(SETS)})")
    return list(value)
