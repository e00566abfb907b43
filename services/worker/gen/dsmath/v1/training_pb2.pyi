from dsmath.v1 import worker_pb2 as _worker_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]

class SftFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SFT_FORMAT_UNSPECIFIED: _ClassVar[SftFormat]
    SFT_FORMAT_CHAIN_OF_THOUGHT: _ClassVar[SftFormat]
    SFT_FORMAT_PROGRAM_OF_THOUGHT: _ClassVar[SftFormat]
    SFT_FORMAT_TOOL_INTEGRATED: _ClassVar[SftFormat]

class RewardKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REWARD_KIND_UNSPECIFIED: _ClassVar[RewardKind]
    REWARD_KIND_OUTCOME: _ClassVar[RewardKind]
    REWARD_KIND_PROCESS: _ClassVar[RewardKind]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
SFT_FORMAT_UNSPECIFIED: SftFormat
SFT_FORMAT_CHAIN_OF_THOUGHT: SftFormat
SFT_FORMAT_PROGRAM_OF_THOUGHT: SftFormat
SFT_FORMAT_TOOL_INTEGRATED: SftFormat
REWARD_KIND_UNSPECIFIED: RewardKind
REWARD_KIND_OUTCOME: RewardKind
REWARD_KIND_PROCESS: RewardKind

class JobStatus(_message.Message):
    __slots__ = ("job_id", "state", "step", "total_steps", "loss", "tokens_per_second", "tokens", "learning_rate", "message", "updated_at", "metrics", "last_checkpoint")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    LAST_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobState
    step: int
    total_steps: int
    loss: float
    tokens_per_second: float
    tokens: int
    learning_rate: float
    message: str
    updated_at: str
    metrics: _containers.ScalarMap[str, float]
    last_checkpoint: str
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., loss: _Optional[float] = ..., tokens_per_second: _Optional[float] = ..., tokens: _Optional[int] = ..., learning_rate: _Optional[float] = ..., message: _Optional[str] = ..., updated_at: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ..., last_checkpoint: _Optional[str] = ...) -> None: ...

class Checkpoint(_message.Message):
    __slots__ = ("path", "step", "tokens", "loss", "created_at")
    PATH_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    path: str
    step: int
    tokens: int
    loss: float
    created_at: str
    def __init__(self, path: _Optional[str] = ..., step: _Optional[int] = ..., tokens: _Optional[int] = ..., loss: _Optional[float] = ..., created_at: _Optional[str] = ...) -> None: ...

class LrSchedule(_message.Message):
    __slots__ = ("kind", "peak_lr", "warmup_steps", "decay_at", "decay_factors", "min_lr_ratio")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[LrSchedule.Kind]
        KIND_CONSTANT: _ClassVar[LrSchedule.Kind]
        KIND_MULTI_STEP: _ClassVar[LrSchedule.Kind]
        KIND_COSINE: _ClassVar[LrSchedule.Kind]
    KIND_UNSPECIFIED: LrSchedule.Kind
    KIND_CONSTANT: LrSchedule.Kind
    KIND_MULTI_STEP: LrSchedule.Kind
    KIND_COSINE: LrSchedule.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    PEAK_LR_FIELD_NUMBER: _ClassVar[int]
    WARMUP_STEPS_FIELD_NUMBER: _ClassVar[int]
    DECAY_AT_FIELD_NUMBER: _ClassVar[int]
    DECAY_FACTORS_FIELD_NUMBER: _ClassVar[int]
    MIN_LR_RATIO_FIELD_NUMBER: _ClassVar[int]
    kind: LrSchedule.Kind
    peak_lr: float
    warmup_steps: int
    decay_at: _containers.RepeatedScalarFieldContainer[float]
    decay_factors: _containers.RepeatedScalarFieldContainer[float]
    min_lr_ratio: float
    def __init__(self, kind: _Optional[_Union[LrSchedule.Kind, str]] = ..., peak_lr: _Optional[float] = ..., warmup_steps: _Optional[int] = ..., decay_at: _Optional[_Iterable[float]] = ..., decay_factors: _Optional[_Iterable[float]] = ..., min_lr_ratio: _Optional[float] = ...) -> None: ...

class WorkerPool(_message.Message):
    __slots__ = ("addresses", "auth_token", "step_deadline_ms")
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    AUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STEP_DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    addresses: _containers.RepeatedScalarFieldContainer[str]
    auth_token: str
    step_deadline_ms: int
    def __init__(self, addresses: _Optional[_Iterable[str]] = ..., auth_token: _Optional[str] = ..., step_deadline_ms: _Optional[int] = ...) -> None: ...

class TrainingCommon(_message.Message):
    __slots__ = ("workers", "model", "init_checkpoint", "optimizer", "lr_schedule", "batch_size", "seq_len", "total_steps", "checkpoint_dir", "checkpoint_every", "seed", "tokenizer")
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INIT_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    LR_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEQ_LEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_DIR_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_EVERY_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FIELD_NUMBER: _ClassVar[int]
    workers: WorkerPool
    model: _worker_pb2.ModelConfig
    init_checkpoint: str
    optimizer: _worker_pb2.OptimizerConfig
    lr_schedule: LrSchedule
    batch_size: int
    seq_len: int
    total_steps: int
    checkpoint_dir: str
    checkpoint_every: int
    seed: int
    tokenizer: str
    def __init__(self, workers: _Optional[_Union[WorkerPool, _Mapping]] = ..., model: _Optional[_Union[_worker_pb2.ModelConfig, _Mapping]] = ..., init_checkpoint: _Optional[str] = ..., optimizer: _Optional[_Union[_worker_pb2.OptimizerConfig, _Mapping]] = ..., lr_schedule: _Optional[_Union[LrSchedule, _Mapping]] = ..., batch_size: _Optional[int] = ..., seq_len: _Optional[int] = ..., total_steps: _Optional[int] = ..., checkpoint_dir: _Optional[str] = ..., checkpoint_every: _Optional[int] = ..., seed: _Optional[int] = ..., tokenizer: _Optional[str] = ...) -> None: ...

class DataSource(_message.Message):
    __slots__ = ("name", "weight", "uris", "shards_topic", "text_column")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    URIS_FIELD_NUMBER: _ClassVar[int]
    SHARDS_TOPIC_FIELD_NUMBER: _ClassVar[int]
    TEXT_COLUMN_FIELD_NUMBER: _ClassVar[int]
    name: str
    weight: float
    uris: _containers.RepeatedScalarFieldContainer[str]
    shards_topic: str
    text_column: str
    def __init__(self, name: _Optional[str] = ..., weight: _Optional[float] = ..., uris: _Optional[_Iterable[str]] = ..., shards_topic: _Optional[str] = ..., text_column: _Optional[str] = ...) -> None: ...

class PretrainJobConfig(_message.Message):
    __slots__ = ("common", "sources", "total_tokens")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    common: TrainingCommon
    sources: _containers.RepeatedCompositeFieldContainer[DataSource]
    total_tokens: int
    def __init__(self, common: _Optional[_Union[TrainingCommon, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[DataSource, _Mapping]]] = ..., total_tokens: _Optional[int] = ...) -> None: ...

class PretrainServiceSubmitJobRequest(_message.Message):
    __slots__ = ("config", "job_id")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    config: PretrainJobConfig
    job_id: str
    def __init__(self, config: _Optional[_Union[PretrainJobConfig, _Mapping]] = ..., job_id: _Optional[str] = ...) -> None: ...

class PretrainServiceSubmitJobResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class PretrainServiceStreamStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class PretrainServiceStreamStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class PretrainServiceCancelRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class PretrainServiceCancelResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class PretrainServiceListCheckpointsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class PretrainServiceListCheckpointsResponse(_message.Message):
    __slots__ = ("checkpoints",)
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    def __init__(self, checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ...) -> None: ...

class SftDataset(_message.Message):
    __slots__ = ("uri", "format", "weight", "max_examples")
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    uri: str
    format: SftFormat
    weight: float
    max_examples: int
    def __init__(self, uri: _Optional[str] = ..., format: _Optional[_Union[SftFormat, str]] = ..., weight: _Optional[float] = ..., max_examples: _Optional[int] = ...) -> None: ...

class SftJobConfig(_message.Message):
    __slots__ = ("common", "datasets", "prompt_template")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    common: TrainingCommon
    datasets: _containers.RepeatedCompositeFieldContainer[SftDataset]
    prompt_template: str
    def __init__(self, common: _Optional[_Union[TrainingCommon, _Mapping]] = ..., datasets: _Optional[_Iterable[_Union[SftDataset, _Mapping]]] = ..., prompt_template: _Optional[str] = ...) -> None: ...

class SftServiceSubmitJobRequest(_message.Message):
    __slots__ = ("config", "job_id")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    config: SftJobConfig
    job_id: str
    def __init__(self, config: _Optional[_Union[SftJobConfig, _Mapping]] = ..., job_id: _Optional[str] = ...) -> None: ...

class SftServiceSubmitJobResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class SftServiceStreamStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class SftServiceStreamStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class SftServiceCancelRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class SftServiceCancelResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class SftServiceListCheckpointsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class SftServiceListCheckpointsResponse(_message.Message):
    __slots__ = ("checkpoints",)
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    def __init__(self, checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ...) -> None: ...

class RewardJobConfig(_message.Message):
    __slots__ = ("common", "kind", "data", "step_separator", "questions", "samples_per_question", "completions_per_step", "hard_labels")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    STEP_SEPARATOR_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_PER_QUESTION_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_PER_STEP_FIELD_NUMBER: _ClassVar[int]
    HARD_LABELS_FIELD_NUMBER: _ClassVar[int]
    common: TrainingCommon
    kind: RewardKind
    data: _containers.RepeatedScalarFieldContainer[str]
    step_separator: str
    questions: int
    samples_per_question: int
    completions_per_step: int
    hard_labels: bool
    def __init__(self, common: _Optional[_Union[TrainingCommon, _Mapping]] = ..., kind: _Optional[_Union[RewardKind, str]] = ..., data: _Optional[_Iterable[str]] = ..., step_separator: _Optional[str] = ..., questions: _Optional[int] = ..., samples_per_question: _Optional[int] = ..., completions_per_step: _Optional[int] = ..., hard_labels: _Optional[bool] = ...) -> None: ...

class RewardItem(_message.Message):
    __slots__ = ("question", "response", "reference")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    question: str
    response: str
    reference: str
    def __init__(self, question: _Optional[str] = ..., response: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class RewardServiceScoreRequest(_message.Message):
    __slots__ = ("kind", "reward_checkpoint", "items", "workers")
    KIND_FIELD_NUMBER: _ClassVar[int]
    REWARD_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    kind: RewardKind
    reward_checkpoint: str
    items: _containers.RepeatedCompositeFieldContainer[RewardItem]
    workers: WorkerPool
    def __init__(self, kind: _Optional[_Union[RewardKind, str]] = ..., reward_checkpoint: _Optional[str] = ..., items: _Optional[_Iterable[_Union[RewardItem, _Mapping]]] = ..., workers: _Optional[_Union[WorkerPool, _Mapping]] = ...) -> None: ...

class RewardScore(_message.Message):
    __slots__ = ("score", "step_scores", "answer")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    STEP_SCORES_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    score: float
    step_scores: _containers.RepeatedScalarFieldContainer[float]
    answer: str
    def __init__(self, score: _Optional[float] = ..., step_scores: _Optional[_Iterable[float]] = ..., answer: _Optional[str] = ...) -> None: ...

class RewardServiceScoreResponse(_message.Message):
    __slots__ = ("scores",)
    SCORES_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[RewardScore]
    def __init__(self, scores: _Optional[_Iterable[_Union[RewardScore, _Mapping]]] = ...) -> None: ...

class RewardServiceSubmitJobRequest(_message.Message):
    __slots__ = ("config", "job_id")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    config: RewardJobConfig
    job_id: str
    def __init__(self, config: _Optional[_Union[RewardJobConfig, _Mapping]] = ..., job_id: _Optional[str] = ...) -> None: ...

class RewardServiceSubmitJobResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class RewardServiceStreamStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class RewardServiceStreamStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class RewardServiceCancelRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class RewardServiceCancelResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class RewardServiceListCheckpointsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class RewardServiceListCheckpointsResponse(_message.Message):
    __slots__ = ("checkpoints",)
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    def __init__(self, checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ...) -> None: ...

class GrpoJobConfig(_message.Message):
    __slots__ = ("common", "questions", "reward_checkpoint", "reward_kind", "group_size", "kl_coef", "clip_epsilon", "updates_per_batch", "max_new_tokens", "temperature", "top_p", "reward_refresh_every", "dynamic_sampling", "aggregation", "clip_epsilon_high", "replay_share", "method", "eval_problems", "fresh_optimizer")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    REWARD_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    REWARD_KIND_FIELD_NUMBER: _ClassVar[int]
    GROUP_SIZE_FIELD_NUMBER: _ClassVar[int]
    KL_COEF_FIELD_NUMBER: _ClassVar[int]
    CLIP_EPSILON_FIELD_NUMBER: _ClassVar[int]
    UPDATES_PER_BATCH_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    REWARD_REFRESH_EVERY_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_SAMPLING_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FIELD_NUMBER: _ClassVar[int]
    CLIP_EPSILON_HIGH_FIELD_NUMBER: _ClassVar[int]
    REPLAY_SHARE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EVAL_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    FRESH_OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    common: TrainingCommon
    questions: _containers.RepeatedScalarFieldContainer[str]
    reward_checkpoint: str
    reward_kind: RewardKind
    group_size: int
    kl_coef: float
    clip_epsilon: float
    updates_per_batch: int
    max_new_tokens: int
    temperature: float
    top_p: float
    reward_refresh_every: int
    dynamic_sampling: bool
    aggregation: _worker_pb2.LossAggregation
    clip_epsilon_high: float
    replay_share: float
    method: str
    eval_problems: int
    fresh_optimizer: bool
    def __init__(self, common: _Optional[_Union[TrainingCommon, _Mapping]] = ..., questions: _Optional[_Iterable[str]] = ..., reward_checkpoint: _Optional[str] = ..., reward_kind: _Optional[_Union[RewardKind, str]] = ..., group_size: _Optional[int] = ..., kl_coef: _Optional[float] = ..., clip_epsilon: _Optional[float] = ..., updates_per_batch: _Optional[int] = ..., max_new_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., reward_refresh_every: _Optional[int] = ..., dynamic_sampling: _Optional[bool] = ..., aggregation: _Optional[_Union[_worker_pb2.LossAggregation, str]] = ..., clip_epsilon_high: _Optional[float] = ..., replay_share: _Optional[float] = ..., method: _Optional[str] = ..., eval_problems: _Optional[int] = ..., fresh_optimizer: _Optional[bool] = ...) -> None: ...

class GrpoServiceSubmitJobRequest(_message.Message):
    __slots__ = ("config", "job_id")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    config: GrpoJobConfig
    job_id: str
    def __init__(self, config: _Optional[_Union[GrpoJobConfig, _Mapping]] = ..., job_id: _Optional[str] = ...) -> None: ...

class GrpoServiceSubmitJobResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class GrpoServiceStreamStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GrpoServiceStreamStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class GrpoServiceCancelRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GrpoServiceCancelResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, _Mapping]] = ...) -> None: ...

class GrpoServiceListCheckpointsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GrpoServiceListCheckpointsResponse(_message.Message):
    __slots__ = ("checkpoints",)
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    def __init__(self, checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ...) -> None: ...
