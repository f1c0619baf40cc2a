"""The YAML schemas as data: every field of the arch, workload and model-config files, and their
JSON Schemas, read off the pydantic models so that neither can drift from what the loaders accept.

``sections()`` walks the models into ``Section``s (``arch``, ``arch.dram``,
``arch.compute.systolic``, ``workload``, ``layer.conv2d``, ``pattern.block``, ``model``, ...),
each field with its type, unit (from the name's suffix, as ``hwsim/arch/spec.py`` says), default
and meaning (the field's ``description=``, else ``MEANINGS`` below). ``json_schema(which)``
exports what editors need to complete and check the YAML files (``hwsim schema``).
"""

from __future__ import annotations

import difflib
import inspect
import json
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import PydanticUndefined, core_schema

from hwsim.arch.compute import COMPUTE_MODELS
from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError
from hwsim.precision import Precision
from hwsim.sparsity.formats import Format
from hwsim.sparsity.spec import Pattern
from hwsim.workload.io import _WorkloadHeader
from hwsim.workload.layers import Layer
from hwsim.workload.llm import _FALCON_NAMES, _GPT2_NAMES, LLMConfig

#: Field-name suffix -> unit, longest first (the convention of ``hwsim/arch/spec.py``).
UNITS: tuple[tuple[str, str], ...] = (
    ("_pj_per_bit_mm", "pJ/(bit·mm)"),
    ("_bytes_per_cycle", "bytes/cycle"),
    ("_kib_per_sm", "KiB/SM"),
    ("_pj_per_bit", "pJ/bit"),
    ("_tflops", "TFLOP/s"),
    ("_cycles", "cycles"),
    ("_bytes", "bytes"),
    ("_gbps", "GB/s"),
    ("_bits", "bits"),
    ("_mhz", "MHz"),
    ("_kib", "KiB"),
    ("_gib", "GiB"),
    ("_mm2", "mm²"),
    ("_mm", "mm"),
    ("_nm", "nm"),
    ("_pj", "pJ"),
    ("_us", "µs"),
    ("_w", "W"),
)

#: Literal types shown by name (their values listed once, in ``TYPE_NAMES``' legend).
TYPE_NAMES: dict[str, tuple[Any, ...]] = {
    "precision": get_args(Precision),
    "format": get_args(Format),
}

#: Meanings of fields whose model gives no ``description=`` ("Class.field", or a bare field
#: name for every class). A field's own description always wins; tests keep these keys live.
MEANINGS: dict[str, str] = {
    "source": "where the numbers come from (free text)",
    "ArchSpec.name": "name of the accelerator (reports, plots)",
    "ArchSpec.kind": "target kind: selects the model and the schema of compute",
    "ArchSpec.description": "one line shown by hwsim list",
    "ArchSpec.technology_nm": "process node; scales the default energies and areas "
                              "(Stillmaker & Baas 2017)",
    "ArchSpec.clock_mhz": "clock frequency",
    "ArchSpec.compute": "the compute array; its fields depend on kind (arch.compute.<kind>)",
    "ArchSpec.dram": "off-chip memory (arch.dram)",
    "ArchSpec.buffers": "on-chip memories, one global buffer per operand (arch.buffers)",
    "ArchSpec.interconnect": "wires from buffers to PEs (arch.interconnect)",
    "ArchSpec.sparsity": "what the hardware does with zeros (arch.sparsity)",
    "ArchSpec.energy": "per-operation energy overrides (arch.energy)",
    "ArchSpec.sources": "source of each number, by field (free text)",
    "BufferSpec.name": "buffer name (unique; reports and --set paths)",
    "BufferSpec.holds": "operands kept in this buffer",
    "BufferSpec.double_buffered": "tiles use half the capacity; transfers overlap compute",
    "BufferSpec.per_pe": "a register file in every PE rather than a global buffer",
    "BufferSpec.read_energy_pj_per_bit": "read energy; omitted: SRAM fit to Horowitz, scaled "
                                         "to the node and bank size",
    "BufferSpec.write_energy_pj_per_bit": "write energy; omitted: as for reads",
    "InterconnectSpec.topology": "how PEs are wired (graph: the edges field lists them)",
    "EnergyOverrides.mac_pj": "energy of one MAC at each precision",
    "EnergyOverrides.alu_op_pj": "energy of one element-wise ALU operation at each precision",
    "OperandFormat.format": "storage format; used only where smaller than dense",
    "SparsitySupport.weights": "storage format of the weights (arch.sparsity.weights)",
    "SparsitySupport.inputs": "storage format of the input activations "
                              "(arch.sparsity.inputs)",
    "SparsitySupport.outputs": "format the results are written to DRAM in (their zeros: a "
                               "pattern's out_act); spilled partial sums stay uncompressed "
                               "(arch.sparsity.outputs)",
    "SparsitySupport.gating": "zero operands do not toggle the MAC: energy falls, time does not",
    "SparsitySupport.skip": "weight-sparsity granularity the array skips for time",
    "SparsitySupport.nm": "(n, m) of n:m skipping",
    "SparsitySupport.block": "(rows, cols) of block skipping; omitted: the pattern's own "
                             "blocks when it is block-structured, else the array's own tile",
    "SystolicCompute.rows": "PE rows",
    "SystolicCompute.cols": "PE columns",
    "SystolicCompute.dataflow": "weight (ws), output (os), input (is) or row (rs) stationary",
    "SystolicCompute.psum_bits": "row stationary: partial-sum width in the PEs and global "
                                 "buffer (default: the precision's accumulator)",
    "TensorCoreCompute.sms": "streaming multiprocessors",
    "TensorCoreCompute.smem_kib_per_sm": "shared memory per SM",
    "TensorCoreCompute.l2_bandwidth_gbps": "L2 cache bandwidth",
    "TensorCoreCompute.launch_overhead_us": "fixed cost of every kernel launch",
    "TensorCoreCompute.k_tile": "reduction depth of a thread-block tile",
    "TensorCoreCompute.max_blocks_per_sm": "thread blocks resident per SM at most",
    "ScratchpadCompute.cores": "vector cores",
    "_WorkloadHeader.name": "name of the network (reports)",
    "_WorkloadHeader.description": "one line shown by hwsim list and describe",
    "_WorkloadHeader.batch": "samples per inference",
    "_WorkloadHeader.precision": "precision of every layer; omitted: the accelerator's first",
    "op": "the layer's operation (selects its other fields)",
    "_LayerBase.name": "layer name, unique in the workload",
    "_LayerBase.precision": "precision of this layer; omitted: the workload's",
    "in_channels": "input channels",
    "out_channels": "output channels (filters)",
    "kernel": "kernel size, int or [kh, kw]",
    "stride": "stride, int or [sh, sw]",
    "padding": "zero padding, int or [ph, pw]",
    "dilation": "dilation, int or [dh, dw]",
    "groups": "channel groups; groups = channels makes it depthwise",
    "input_hw": "input height and width, int or [h, w]",
    "bias": "a bias term per output",
    "in_features": "input features",
    "out_features": "output features",
    "tokens": "rows the layer is applied to per sample (sequence length; 1 for a CNN)",
    "m": "rows of the left operand",
    "k": "reduction length",
    "n": "columns of the right operand",
    "num_tables": "embedding tables",
    "dim": "embedding width",
    "Pool.kind": "max or average pooling",
    "Pool.channels": "channels pooled",
    "Pool.global": "pool the whole feature map (kernel not needed)",
    "Eltwise.kind": "element-wise operation",
    "Eltwise.shape": "tensor shape per sample",
    "Eltwise.operands": "input tensors of that shape; omitted: 2 for add and mul, else 1",
    "AllReduce.shape": "tensor shape per sample that is summed",
    "PatternSpec.pattern": "the pattern family (selects the other fields)",
    "PatternSpec.sparsity": "fraction of zero weights",
    "Block.size": "block (rows, cols) of the weight matrix, or 'RxC'",
    "ShuffledBlock.size": "block (rows, cols) after the row permutation, or 'RxC'",
    "Channel.joins": "residual joins pruned consistently (prune) or left whole (keep)",
    "NM.n": "nonzeros kept in every group",
    "NM.m": "group size",
    "NM.granularity": "groups of weights along a row, or of whole kernels (k-out-of-n)",
    "GatherScatter.group": "lanes/banks that get equal nonzeros; 0: the target's lanes",
    "SmallWorld.rewire": "Watts-Strogatz rewiring probability",
    "Unstructured.distribution": "zeros at random or magnitude-like (uneven rows)",
    "Nested.levels": "sparsity of each level, nested masks",
    "Nested.base": "family of every level",
    "Nested.size": "block (rows, cols) when base is block",
    "LLMConfig.name": "model name; omitted: the file name",
    "LLMConfig.hidden_size": "model width (n_embd in GPT-2)",
    "LLMConfig.num_attention_heads": "query heads (n_head)",
    "LLMConfig.num_hidden_layers": "decoder blocks (n_layer)",
    "LLMConfig.vocab_size": "vocabulary size (embedding and LM-head rows)",
    "LLMConfig.max_position_embeddings": "longest context (n_positions)",
    "LLMConfig.tie_word_embeddings": "the LM head reuses the token embedding",
    "LLMConfig.attention_bias": "q, k, v projections have biases",
    "LLMConfig.num_local_experts": "experts per MLP (mixture of experts; 1 = dense)",
    "LLMConfig.num_experts_per_tok": "experts each token is routed to",
}

#: Defaults the loaders supply before validation ("Class.field" -> what the default is).
LOADER_DEFAULTS: dict[str, str] = {
    "LLMConfig.name": "the file name",
    "LLMConfig.family": "from model_type",
}

#: Notes printed under a section's summary.
NOTES: dict[str, str] = {
    "arch": "Units are in the field names (_mhz, _gbps: GB/s, _kib: KiB, _pj_per_bit, _w, ...).",
    "workload": "Each entry of layers is one of layer.<op>, selected by its op field.",
    "model": "GPT-2 names are accepted ("
             + ", ".join(f"{k} = {v}" for k, v in _GPT2_NAMES.items())
             + "), and Falcon names ("
             + ", ".join(f"{k} = {v}" for k, v in _FALCON_NAMES.items())
             + "); other config.json fields are ignored; family follows model_type (gpt2, gptj, "
             "falcon, else llama).",
}

GROUPS = ("arch", "workload", "model")


@dataclass(frozen=True)
class FieldDoc:
    """One YAML field: name as written in the file, and what a user needs to write it."""

    name: str
    type: str
    unit: str
    default: Any  # the default as a JSON value; None where required (see ``required``)
    required: bool
    description: str
    #: The default in words where a value would not say it: a section of defaults, or what
    #: the loader fills in for a field the model requires.
    default_note: str = ""

    @property
    def default_text(self) -> str:
        """The default as YAML would spell it ("required" where there is none)."""
        if self.default_note:
            return self.default_note
        if self.required:
            return "required"
        return json.dumps(self.default, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "unit": self.unit,
                             "required": self.required, "description": self.description}
        if not self.required:
            d["default"] = self.default
        if self.default_note:
            d["default_note"] = self.default_note
        return d


@dataclass(frozen=True)
class Section:
    """The fields of one mapping in a file (``arch.dram``) or of one layer op."""

    name: str
    group: str
    summary: str
    fields: tuple[FieldDoc, ...]
    model: type[BaseModel] = field(compare=False, repr=False, default=BaseModel)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "group": self.group, "summary": self.summary,
                "fields": [f.to_dict() for f in self.fields]}


def unit_of(name: str) -> str:
    """The unit a field's name declares by its suffix (``clock_mhz`` -> MHz), else ""."""
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return ""


# --- walking the models ------------------------------------------------------------------------


def _union_members(ann: Any) -> list[Any]:
    """The types a field takes, None left out (``Annotated`` and nested unions flattened)."""
    if get_origin(ann) is Annotated:
        return _union_members(get_args(ann)[0])
    if get_origin(ann) in (Union, types.UnionType):
        return [m for a in get_args(ann) for m in _union_members(a)]
    return [] if ann is type(None) else [ann]


def _tagged(union: Any, tag: str) -> dict[str, type[BaseModel]]:
    """Members of a discriminated union by their tag value (``op``, ``pattern``)."""
    return {m.model_fields[tag].default: m for m in _union_members(union)}


LAYERS = _tagged(Layer, "op")
PATTERNS = _tagged(Pattern, "pattern")
_PATTERN_SET = frozenset(PATTERNS.values())
_LAYER_SET = frozenset(LAYERS.values())

#: The workload file as the loader reads it: the header, and the layers as the union.
WorkloadFile = create_model(
    "WorkloadFile", __base__=_WorkloadHeader,
    layers=(list[Layer], Field(min_length=1, description="the layers in topological order; "
                               "the fields of each op: layer.<op>")),
)


def type_name(ann: Any) -> str:
    """A short, YAML-minded spelling of a field's type (``list[precision]``, ``[int, int]``)."""
    members = _union_members(ann)
    if len(members) > 1:
        if frozenset(members) == _PATTERN_SET:
            return "pattern.*"  # a mapping: one of the pattern.<name> sections
        if frozenset(members) == _LAYER_SET:
            return "layer.*"
        return " | ".join(type_name(m) for m in members)
    ann = members[0]
    origin, args = get_origin(ann), get_args(ann)
    if origin is Literal:
        for alias, values in TYPE_NAMES.items():
            if args == values:
                return alias
        return " | ".join(str(a) for a in args)
    if origin is list:
        return f"list[{type_name(args[0])}]"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list[{type_name(args[0])}]"
        return "[" + ", ".join(type_name(a) for a in args) + "]"
    if origin is dict:
        return f"{{{type_name(args[0])}: {type_name(args[1])}}}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "mapping"
    if ann is Any:
        return "mapping"
    return getattr(ann, "__name__", str(ann))


def _constraints(info: FieldInfo) -> str:
    out = []
    for m in info.metadata:
        if isinstance(m, at.Gt):
            out.append(f"> {m.gt}")
        elif isinstance(m, at.Ge):
            out.append(f">= {m.ge}")
        elif isinstance(m, at.Lt):
            out.append(f"< {m.lt}")
        elif isinstance(m, at.Le):
            out.append(f"<= {m.le}")
        elif isinstance(m, at.MinLen) and m.min_length > 0:
            out.append(f"at least {m.min_length}")
    return ", ".join(out)


def _jsonable(v: Any) -> Any:
    if isinstance(v, BaseModel):
        return v.model_dump(mode="json", by_alias=True)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def meaning(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    """What a field means: its own description, else MEANINGS ("Class.field", then field)."""
    if info.description:
        return " ".join(info.description.split())
    for cls in model.__mro__:
        key = f"{cls.__name__}.{name}"
        if key in MEANINGS:
            return MEANINGS[key]
    return MEANINGS.get(name, "")


def field_doc(model: type[BaseModel], name: str, info: FieldInfo) -> FieldDoc:
    """One field of ``model`` as the YAML spells it (its alias, if any)."""
    yaml_name = info.alias or name
    required = info.is_required()
    default: Any = None
    if not required:
        factory = info.default_factory
        raw = factory() if factory is not None else info.default  # type: ignore[call-arg]
        default = None if raw is PydanticUndefined else _jsonable(raw)
    kind = type_name(info.annotation)
    if name == "compute" and model is ArchSpec:
        kind = "mapping"
    limits = _constraints(info)
    note = LOADER_DEFAULTS.get(f"{model.__name__}.{name}", "")
    if not required and isinstance(info.default, BaseModel):
        note = "all defaults"
    return FieldDoc(yaml_name, f"{kind} ({limits})" if limits else kind, unit_of(name), default,
                    required and not note, meaning(model, yaml_name, info), note)


def _summary(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or "").replace("``", "`")
    return " ".join(doc.strip().split("\n\n")[0].split())


#: Fields listed first in a section: what selects the section's kind, and the name.
_FIRST = ("op", "pattern", "name")


def _ordered(model: type[BaseModel]) -> list[str]:
    """The model's fields: the selecting tag and name first, then those its own class
    introduces, then inherited ones (a layer's op-specific fields before the ones every layer
    has)."""
    def depth(field: str) -> int:  # of the class that first declares the field
        return max((i for i, cls in enumerate(model.__mro__)
                    if field in inspect.get_annotations(cls)), default=0)

    return sorted(model.model_fields, key=lambda f: (f not in _FIRST, depth(f)))


def _nested_model(ann: Any) -> type[BaseModel] | None:
    """The one model a field holds (``X``, ``X | None``, ``list[X]``), else None."""
    members = _union_members(ann)
    if len(members) != 1:
        return None
    ann = members[0]
    if get_origin(ann) is list:
        return _nested_model(get_args(ann)[0])
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    return None


def _walk(model: type[BaseModel], name: str, group: str, summary: str | None = None
          ) -> Iterator[Section]:
    note = NOTES.get(name, "")
    text = summary if summary is not None else _summary(model)
    yield Section(name, group, f"{text} {note}".strip(),
                  tuple(field_doc(model, f, model.model_fields[f]) for f in _ordered(model)),
                  model)
    for f, info in model.model_fields.items():
        if model is ArchSpec and f == "compute":
            for kind, compute in COMPUTE_MODELS.items():
                yield from _walk(compute, f"{name}.compute.{kind}", group)
            continue
        child = _nested_model(info.annotation)
        if child is not None:
            yield from _walk(child, f"{name}.{info.alias or f}", group)


@cache
def sections() -> tuple[Section, ...]:
    """Every section of the three file kinds, in reading order."""
    out = list(_walk(ArchSpec, "arch", "arch"))
    out += _walk(WorkloadFile, "workload", "workload",
                 "A workload YAML: the network's name, batch and precision, and its layers.")
    for op, layer in LAYERS.items():
        out += _walk(layer, f"layer.{op}", "workload")
    for pattern, spec in PATTERNS.items():
        out += _walk(spec, f"pattern.{pattern}", "workload")
    out += _walk(LLMConfig, "model", "model")
    return tuple(out)


def kinds() -> list[str]:
    """Every KIND that ``select`` accepts: groups, sections and their dotted prefixes."""
    names = set(GROUPS)
    for s in sections():
        parts = s.name.split(".")
        names |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return sorted(names)


def select(kind: str | None) -> list[Section]:
    """Sections of ``kind``: a group (``arch``), a section (``arch.dram``) or a prefix
    (``layer``, ``arch.compute``); None: all. An unknown kind is a user error with a guess."""
    every = sections()
    if not kind:
        return list(every)
    if kind in GROUPS:
        return [s for s in every if s.group == kind]
    chosen = [s for s in every if s.name == kind or s.name.startswith(kind + ".")]
    if chosen:
        return chosen
    known = kinds()
    guesses = [k for k in known if k.rsplit(".", 1)[-1] == kind]
    guesses = guesses or difflib.get_close_matches(kind, known, n=3)
    hint = f"; did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else (
        f"; expected one of {', '.join(GROUPS)} or a section such as arch.dram, layer.conv2d")
    raise HwsimError(f"unknown field kind '{kind}'{hint}")


# --- JSON Schema -------------------------------------------------------------------------------

#: Inputs that a field's before-validator accepts besides what its type says (``kernel: 3``
#: for ``[3, 3]``, ``size: 4x4``), by the validator's module.qualname.
LENIENT: dict[str, list[JsonSchemaValue]] = {
    "hwsim.workload.layers._pair": [{"type": "integer"}],
    "hwsim.sparsity.patterns.base.parse_size": [
        {"type": "integer"}, {"type": "string", "pattern": r"^\s*\d+\s*[xX]\s*\d+\s*$"}],
    # refuses booleans, NaN, infinities and magnitudes of 2^63 or more; accepts nothing more
    "hwsim.yamlio.refuse_bad_numbers": [],
    # refuses what is not a positive integer or a list of them; accepts nothing more
    "hwsim.workload.layers.EmbeddingBag._rows": [],
}


class _Generator(GenerateJsonSchema):
    """pydantic's JSON Schema, plus the lenient inputs of before-validators and, on every
    property, the meaning and unit that ``hwsim fields`` shows."""

    #: Before-validators met that are not in LENIENT (the schema may then be too strict).
    unregistered: ClassVar[set[str]] = set()

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema
                               ) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        fn = schema["function"]["function"]
        key = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}"
        if key not in LENIENT:
            _Generator.unregistered.add(key)
            return inner
        if not LENIENT[key]:
            return inner
        return {"anyOf": [*LENIENT[key], inner]}

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        js = super().model_schema(schema)
        model = schema["cls"]
        props = js.get("properties", {})
        for name, info in model.model_fields.items():
            prop = props.get(info.alias or name)
            if prop is None:
                continue
            text = meaning(model, info.alias or name, info)
            unit = unit_of(name)
            if unit and unit not in text:
                text = f"{text} [{unit}]" if text else f"[{unit}]"
            if text:
                prop["description"] = text
        return js


_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _with_defs(root: type[BaseModel], extra: Sequence[type[BaseModel]]
               ) -> tuple[dict[str, Any], dict[type[BaseModel], JsonSchemaValue]]:
    """The schema of ``root`` with the models in ``extra`` added to its ``$defs``."""
    keys, top = models_json_schema([(m, "validation") for m in [root, *extra]],
                                   ref_template="#/$defs/{model}", schema_generator=_Generator)
    defs = dict(top["$defs"])
    refs = {m: keys[(m, "validation")] for m in [root, *extra]}
    name = refs[root]["$ref"].rsplit("/", 1)[-1]
    schema = {"$schema": _DIALECT, **defs.pop(name), "$defs": defs}
    return schema, refs


def arch_schema() -> dict[str, Any]:
    """The arch YAML: ``compute`` is any of the kinds' sections, and the one ``kind`` names."""
    models = list(COMPUTE_MODELS.values())
    schema, refs = _with_defs(ArchSpec, models)
    compute = schema["properties"]["compute"]
    compute.pop("title", None)
    compute["anyOf"] = [refs[m] for m in models]
    schema["allOf"] = [{"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                        "then": {"properties": {"compute": refs[m]}}}
                       for kind, m in COMPUTE_MODELS.items()]
    schema["title"] = "hwsim accelerator (arch YAML)"
    return schema


def workload_schema() -> dict[str, Any]:
    """The workload YAML: header fields and a list of layers (one of the ops each)."""
    schema, _ = _with_defs(WorkloadFile, [])
    schema["title"] = "hwsim workload (network YAML)"
    schema["description"] = "A network: name, batch, precision and its layers in order."
    return schema


def model_schema() -> dict[str, Any]:
    """A language-model config (``config.json`` fields): LLMConfig's fields, their GPT-2 and
    Falcon names, ``model_type``; other fields are allowed (the loader ignores them), and any field
    may be null (the loader drops nulls)."""
    schema, _ = _with_defs(LLMConfig, [])
    props: dict[str, Any] = schema["properties"]
    names = {"GPT-2": _GPT2_NAMES, "Falcon": _FALCON_NAMES}
    for who, table in names.items():
        for theirs, ours in table.items():
            if ours in props:
                what = props[ours].get("description", "")
                props[theirs] = {**props[ours], "title": theirs,
                                 "description": f"{who} name of {ours}: {what}"}
    props["model_type"] = {"type": "string", "title": "model_type",
                           "description": "gpt2, gptj and falcon select those families, anything "
                           "else llama"}
    for name, prop in list(props.items()):
        props[name] = {"anyOf": [prop, {"type": "null"}],
                       "description": prop.get("description", "")}
    required = [r for r in schema.pop("required", []) if r != "name"]
    aliases: dict[str, list[str]] = {}
    for table in names.values():
        for theirs, ours in table.items():
            aliases.setdefault(ours, []).append(theirs)
    # What the loader fills in: the MLP width (4 x hidden) outside the llama family, and
    # Falcon's 2048 positions.
    defaulted = {"intermediate_size": ("gpt2", "gptj", "falcon", "RefinedWeb", "RefinedWebModel"),
                 "max_position_embeddings": ("falcon", "RefinedWeb", "RefinedWebModel")}
    schema["allOf"] = []
    for r in required:
        ways: list[dict[str, Any]] = [{"required": [n]} for n in [r, *aliases.get(r, [])]]
        if r in defaulted:
            ways.append({"required": ["model_type"],
                         "properties": {"model_type": {"enum": list(defaulted[r])}}})
        if r == "intermediate_size":  # GPT-2 names without a model_type: 4 x n_embd
            ways.append({"required": ["n_embd"]})
        schema["allOf"].append(ways[0] if len(ways) == 1 else {"anyOf": ways})
    schema["additionalProperties"] = True
    schema["title"] = "hwsim language-model config (Hugging Face config.json fields)"
    return schema


SCHEMAS = {"arch": arch_schema, "workload": workload_schema, "model": model_schema}


def json_schema(which: str) -> dict[str, Any]:
    """The JSON Schema of ``which`` (arch, workload or model) files."""
    if which not in SCHEMAS:
        raise HwsimError(f"unknown schema '{which}', expected one of {', '.join(SCHEMAS)}")
    return SCHEMAS[which]()
