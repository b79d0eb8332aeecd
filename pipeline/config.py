"""The configuration of `assay run`, parsed once into typed objects (STYLE 7).

Sources, later wins: the defaults here, `--config FILE.toml`, then command-line flags. The resolved
configuration is written to RUN_DIR/config.toml. A rerun on the same RUN_DIR must agree on the
options that give recorded work its meaning (`identity()`): otherwise it is refused unless --force.

    run_dir = "runs/demo"          problems = 100        max_revisions = 3      seed = 0
    language = "python"            (or "python=2,javascript=1", or a [language] table of weights)
    [seeds]    path = "pipeline/"  extensions = [".py"]  window_lines = 60
    [teacher]  generator = "openai"  model = "..."  base_url = "http://127.0.0.1:8000/v1"
    [sampling] temperature = 0.7  top_p = 0.95  max_tokens = 2048
    [verifier] jobs = 2  timeout = 10
    [executor] kind = "ray"  address = "auto"     (where teacher calls and sandbox runs happen)
"""

from __future__ import annotations

import json
import os
import tomllib
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline.languages import DEFAULT, Mix, conventions_digest
from sandbox import Limits, VerifyOptions
from sandbox.languages import LanguageError
from sandbox.options import default_jobs

CONFIG_FILE = "config.toml"


class ConfigError(ValueError):
    """The configuration cannot work; the message says how to fix it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SeedsConfig(_Section):
    path: str = Field(
        "", description="directory, JSONL file, local dataset, or hf:NAME[:split][:column]"
    )
    extensions: list[str] | None = Field(
        None, description="source files of a seeds directory (default: the language's own)"
    )
    column: str = Field("", description="dataset column of the code (default: code/content/text)")
    window_lines: int = Field(60, ge=5, description="long files are cut into windows of this size")
    max_chars: int = Field(4000, ge=200, description="a snippet is clipped to this many characters")

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return [e if e.startswith(".") else f".{e}" for e in value]


class TeacherConfig(_Section):
    generator: str = "openai"
    model: str = ""
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(64, ge=1, description="teacher requests in flight")
    request_timeout: float = Field(600.0, gt=0, description="seconds per teacher request")
    connect_timeout: float = Field(5.0, gt=0)
    max_retries: int = Field(
        6, ge=0, description="retries of a teacher request (429, 5xx, connection errors)"
    )
    retry_base: float = Field(1.0, ge=0, description="first backoff in seconds; doubles each retry")
    batch_size: int = Field(
        8, ge=1, description="prompts per batched generate (transformers, vllm)"
    )
    device: str = "auto"
    dtype: str = "auto"
    engine_args: dict[str, Any] = Field(
        default_factory=dict, description="extra keyword arguments for vLLM's AsyncEngineArgs"
    )

    @property
    def label(self) -> str:
        return f"{self.generator}:{self.model}"


class SamplingConfig(_Section):
    temperature: float = Field(0.7, ge=0, description="the teacher's sampling temperature")
    top_p: float = Field(
        0.95, gt=0, le=1, description="nucleus sampling: the probability mass kept"
    )
    max_tokens: int = Field(2048, ge=1, description="tokens of one teacher answer at most")
    seed: int | None = None


class VerifierConfig(_Section):
    sandbox: Literal["process", "docker"] = "process"
    isolation: Literal["full", "weak"] = "full"
    jobs: int = Field(default_factory=default_jobs, ge=1, description="default: the usable CPUs")
    timeout: float = Field(Limits().timeout_s, gt=0)
    memory: int = Field(Limits().memory_mb, ge=32)
    lint_select: list[str] | None = None
    lint_ignore: list[str] = Field(default_factory=list)
    strength_check: bool = True
    fast_path: bool = True

    def options(self) -> VerifyOptions:
        base = VerifyOptions()
        return VerifyOptions(
            sandbox=self.sandbox,
            isolation=self.isolation,
            jobs=self.jobs,
            limits=Limits(timeout_s=self.timeout, memory_mb=self.memory),
            lint_select=tuple(self.lint_select)
            if self.lint_select is not None
            else base.lint_select,
            lint_ignore=tuple(self.lint_ignore),
            strength_check=self.strength_check,
            fast_path=self.fast_path,
        )


class ExecutorConfig(_Section):
    """Where teacher calls and sandbox runs happen. The driver stays the only writer of the run
    store and the corpus whichever is chosen, so these options may change between reruns."""

    kind: Literal["local", "ray"] = Field(
        "local", description="local: this process; ray: actors on every node of a Ray cluster"
    )
    address: str = Field(
        "",
        description="Ray: '' starts Ray on this machine, 'auto' joins the cluster this machine "
        "is part of, HOST:PORT or ray://HOST:10001 a given one",
    )
    node_jobs: int | None = Field(
        None, ge=1, description="Ray: sandbox workers per node (default: the node's CPUs)"
    )
    teacher_replicas: int | None = Field(
        None,
        ge=0,
        description="Ray: actors holding the teacher (default: one per GPU group for vllm, "
        "none otherwise: the driver calls the teacher)",
    )
    teacher_gpus: float | None = Field(
        None,
        ge=0,
        description="Ray: GPUs per teacher replica (default for vllm: tensor_parallel_size x "
        "pipeline_parallel_size of [teacher] engine_args; 0 otherwise)",
    )


class RunConfig(_Section):
    run_dir: str = Field("runs/default", description="the run directory; a rerun resumes it")
    problems: int = Field(10, ge=1)
    max_revisions: int = Field(3, ge=0)
    seed: int = 0
    progress: bool = True
    language: str | dict[str, float] = Field(
        DEFAULT, description="a language, or a weighted mix: python=2,javascript=1 or a table"
    )
    seeds: SeedsConfig = Field(default_factory=SeedsConfig)
    teacher: TeacherConfig = Field(default_factory=TeacherConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)

    @model_validator(mode="before")
    @classmethod
    def _languages_table(cls, data: Any) -> Any:
        """A [languages] table of weights is the same option as `language`."""
        if isinstance(data, dict) and "languages" in data:
            if "language" in data:
                raise PydanticCustomError(
                    "language",
                    "`language` and [languages] are both set: keep one (a name, or the table "
                    "of weights)",
                )
            data = {**data, "language": data["languages"]}
            del data["languages"]
        return data

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> str | dict[str, float]:
        try:
            return Mix.parse(value).config_value()
        except LanguageError as exc:
            raise PydanticCustomError("language", str(exc)) from None

    @property
    def mix(self) -> Mix:
        """The run's languages and their weights."""
        return Mix.parse(self.language)

    def identity(self, prompts_digest: str) -> dict[str, Any]:
        """The options a rerun must keep: changing them would change what recorded work means."""
        mix = self.mix
        return {
            "language": mix.spec(),
            "seeds": self.seeds.model_dump(),
            "seed": self.seed,
            "max_revisions": self.max_revisions,
            "teacher.generator": self.teacher.generator,
            "teacher.model": self.teacher.model,
            "sampling": self.sampling.model_dump(),
            "verifier.checks": {
                "timeout": self.verifier.timeout,
                "memory": self.verifier.memory,
                "lint_select": self.verifier.lint_select,
                "lint_ignore": self.verifier.lint_ignore,
                "strength_check": self.verifier.strength_check,
            },
            "prompts": prompts_digest,
            "conventions": conventions_digest(mix.names),
        }


def _errors(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            section = ".".join(str(p) for p in err["loc"][:-1])
            known = _known_keys(section)
            lines.append(
                f"unknown option '{key}' in {origin}: remove it or use one of {', '.join(known)}"
            )
        else:
            lines.append(f"option '{key}' in {origin}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(lines)


def _known_keys(section: str) -> list[str]:
    model: type[BaseModel] = RunConfig
    for part in filter(None, section.split(".")):
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(model.model_fields)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found: check the --config path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:  # a directory, no permission
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}") from None


def resolve(config_path: str | None, overrides: dict[str, Any]) -> RunConfig:
    """Defaults, then the TOML file, then `overrides` (nested dicts, from flags)."""
    data: dict[str, Any] = load_toml(config_path) if config_path else {}
    origin = config_path or "the flags"
    if "language" in overrides:  # --language wins over the file's [languages] table too
        data.pop("languages", None)
    try:
        RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_errors(exc, origin)) from None
    try:
        config = RunConfig.model_validate(_merge(data, overrides))
    except ValidationError as exc:
        raise ConfigError(_errors(exc, "the flags")) from None
    check_ready(config)
    return config


def check_ready(config: RunConfig) -> None:
    """Checks that need the outside world: a model, a seeds path that exists."""
    from pipeline.generators import available

    teacher = config.teacher
    if teacher.generator not in available():
        raise ConfigError(
            f"unknown generator '{teacher.generator}': use one of {', '.join(available())}"
        )
    if not teacher.model:
        raise ConfigError(
            "no teacher model: pass --model (a model id, a local path, or for `scripted` a "
            "module:function) or set [teacher] model in the config file"
        )
    executor = config.executor
    if executor.kind == "local":
        given = [
            f"[executor] {name}"
            for name in ("address", "node_jobs", "teacher_replicas", "teacher_gpus")
            if getattr(executor, name) not in (None, "")
        ]
        if given:
            raise ConfigError(
                f"{', '.join(given)} only apply to the ray executor: pass --executor ray "
                '(or set [executor] kind = "ray"), or remove them'
            )
    path = config.seeds.path
    if not path:
        raise ConfigError(
            "no seeds: pass --seeds DIR|FILE.jsonl|hf:NAME or set [seeds] path in the config file"
        )
    if not path.startswith("hf:") and not os.path.exists(path):
        raise ConfigError(
            f"seeds path {path} does not exist: give a directory of source files, a JSONL file, "
            "a local dataset, or hf:NAME[:split][:column]"
        )


# Saving ------------------------------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(config: RunConfig) -> str:
    """TOML text that `resolve` reads back to an equal config (None values are left out)."""
    data = config.model_dump()
    lines = ["# The resolved configuration of this run (written by `assay run`)."]
    sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in sections and value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, section in sections.items():
        lines.append(f"\n[{name}]")
        for key, value in section.items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def save(config: RunConfig, run_dir: str) -> str:
    path = os.path.join(run_dir, CONFIG_FILE)
    os.makedirs(run_dir, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(to_toml(config))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
