from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dtype(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DTYPE_UNSPECIFIED: _ClassVar[Dtype]
    DTYPE_FLOAT32: _ClassVar[Dtype]
    DTYPE_BFLOAT16: _ClassVar[Dtype]

class FinishReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINISH_REASON_UNSPECIFIED: _ClassVar[FinishReason]
    FINISH_REASON_LENGTH: _ClassVar[FinishReason]
    FINISH_REASON_STOP: _ClassVar[FinishReason]
    FINISH_REASON_MAX_SEQ_LEN: _ClassVar[FinishReason]

class LossAggregation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOSS_AGGREGATION_SEQUENCE_MEAN: _ClassVar[LossAggregation]
    LOSS_AGGREGATION_TOKEN_MEAN: _ClassVar[LossAggregation]
    LOSS_AGGREGATION_DR_GRPO: _ClassVar[LossAggregation]
DTYPE_UNSPECIFIED: Dtype
DTYPE_FLOAT32: Dtype
DTYPE_BFLOAT16: Dtype
FINISH_REASON_UNSPECIFIED: FinishReason
FINISH_REASON_LENGTH: FinishReason
FINISH_REASON_STOP: FinishReason
FINISH_REASON_MAX_SEQ_LEN: FinishReason
LOSS_AGGREGATION_SEQUENCE_MEAN: LossAggregation
LOSS_AGGREGATION_TOKEN_MEAN: LossAggregation
LOSS_AGGREGATION_DR_GRPO: LossAggregation

class ModelConfig(_message.Message):
    __slots__ = ("vocab_size", "d_model", "n_layers", "n_heads", "ffn_hidden", "max_seq_len", "rope_theta", "dtype", "seed", "tie_embeddings", "norm_eps")
    VOCAB_SIZE_FIELD_NUMBER: _ClassVar[int]
    D_MODEL_FIELD_NUMBER: _ClassVar[int]
    N_LAYERS_FIELD_NUMBER: _ClassVar[int]
    N_HEADS_FIELD_NUMBER: _ClassVar[int]
    FFN_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    MAX_SEQ_LEN_FIELD_NUMBER: _ClassVar[int]
    ROPE_THETA_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    TIE_EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    NORM_EPS_FIELD_NUMBER: _ClassVar[int]
    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    ffn_hidden: int
    max_seq_len: int
    rope_theta: float
    dtype: Dtype
    seed: int
    tie_embeddings: bool
    norm_eps: float
    def __init__(self, vocab_size: _Optional[int] = ..., d_model: _Optional[int] = ..., n_layers: _Optional[int] = ..., n_heads: _Optional[int] = ..., ffn_hidden: _Optional[int] = ..., max_seq_len: _Optional[int] = ..., rope_theta: _Optional[float] = ..., dtype: _Optional[_Union[Dtype, str]] = ..., seed: _Optional[int] = ..., tie_embeddings: _Optional[bool] = ..., norm_eps: _Optional[float] = ...) -> None: ...

class OptimizerConfig(_message.Message):
    __slots__ = ("lr", "beta1", "beta2", "weight_decay", "grad_clip", "eps")
    LR_FIELD_NUMBER: _ClassVar[int]
    BETA1_FIELD_NUMBER: _ClassVar[int]
    BETA2_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_DECAY_FIELD_NUMBER: _ClassVar[int]
    GRAD_CLIP_FIELD_NUMBER: _ClassVar[int]
    EPS_FIELD_NUMBER: _ClassVar[int]
    lr: float
    beta1: float
    beta2: float
    weight_decay: float
    grad_clip: float
    eps: float
    def __init__(self, lr: _Optional[float] = ..., beta1: _Optional[float] = ..., beta2: _Optional[float] = ..., weight_decay: _Optional[float] = ..., grad_clip: _Optional[float] = ..., eps: _Optional[float] = ...) -> None: ...

class InitModelRequest(_message.Message):
    __slots__ = ("model", "optimizer")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    model: ModelConfig
    optimizer: OptimizerConfig
    def __init__(self, model: _Optional[_Union[ModelConfig, _Mapping]] = ..., optimizer: _Optional[_Union[OptimizerConfig, _Mapping]] = ...) -> None: ...

class InitModelResponse(_message.Message):
    __slots__ = ("num_params", "device", "compute_dtype", "model", "optimizer")
    NUM_PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_DTYPE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    num_params: int
    device: str
    compute_dtype: str
    model: ModelConfig
    optimizer: OptimizerConfig
    def __init__(self, num_params: _Optional[int] = ..., device: _Optional[str] = ..., compute_dtype: _Optional[str] = ..., model: _Optional[_Union[ModelConfig, _Mapping]] = ..., optimizer: _Optional[_Union[OptimizerConfig, _Mapping]] = ...) -> None: ...

class TokenSequence(_message.Message):
    __slots__ = ("tokens", "loss_mask")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    LOSS_MASK_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedScalarFieldContainer[int]
    loss_mask: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, tokens: _Optional[_Iterable[int]] = ..., loss_mask: _Optional[_Iterable[bool]] = ...) -> None: ...

class TrainStepRequest(_message.Message):
    __slots__ = ("sequences", "learning_rate")
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[TokenSequence]
    learning_rate: float
    def __init__(self, sequences: _Optional[_Iterable[_Union[TokenSequence, _Mapping]]] = ..., learning_rate: _Optional[float] = ...) -> None: ...

class TrainStepResponse(_message.Message):
    __slots__ = ("loss", "tokens", "grad_norm", "step", "step_time_ms", "learning_rate", "input_tokens")
    LOSS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    GRAD_NORM_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    STEP_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    loss: float
    tokens: int
    grad_norm: float
    step: int
    step_time_ms: float
    learning_rate: float
    input_tokens: int
    def __init__(self, loss: _Optional[float] = ..., tokens: _Optional[int] = ..., grad_norm: _Optional[float] = ..., step: _Optional[int] = ..., step_time_ms: _Optional[float] = ..., learning_rate: _Optional[float] = ..., input_tokens: _Optional[int] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("prompts", "max_new_tokens", "temperature", "top_p", "seed", "stop_tokens")
    PROMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STOP_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompts: _containers.RepeatedCompositeFieldContainer[TokenSequence]
    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    stop_tokens: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, prompts: _Optional[_Iterable[_Union[TokenSequence, _Mapping]]] = ..., max_new_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., seed: _Optional[int] = ..., stop_tokens: _Optional[_Iterable[int]] = ...) -> None: ...

class Completion(_message.Message):
    __slots__ = ("tokens", "logprobs", "finish_reason")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedScalarFieldContainer[int]
    logprobs: _containers.RepeatedScalarFieldContainer[float]
    finish_reason: FinishReason
    def __init__(self, tokens: _Optional[_Iterable[int]] = ..., logprobs: _Optional[_Iterable[float]] = ..., finish_reason: _Optional[_Union[FinishReason, str]] = ...) -> None: ...

class GenerateResponse(_message.Message):
    __slots__ = ("completions",)
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    completions: _containers.RepeatedCompositeFieldContainer[Completion]
    def __init__(self, completions: _Optional[_Iterable[_Union[Completion, _Mapping]]] = ...) -> None: ...

class LogProbsRequest(_message.Message):
    __slots__ = ("sequences", "reference")
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[TokenSequence]
    reference: bool
    def __init__(self, sequences: _Optional[_Iterable[_Union[TokenSequence, _Mapping]]] = ..., reference: _Optional[bool] = ...) -> None: ...

class PolicySequence(_message.Message):
    __slots__ = ("tokens", "prompt_length", "advantages", "old_logprobs", "ref_logprobs")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_LENGTH_FIELD_NUMBER: _ClassVar[int]
    ADVANTAGES_FIELD_NUMBER: _ClassVar[int]
    OLD_LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    REF_LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedScalarFieldContainer[int]
    prompt_length: int
    advantages: _containers.RepeatedScalarFieldContainer[float]
    old_logprobs: _containers.RepeatedScalarFieldContainer[float]
    ref_logprobs: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, tokens: _Optional[_Iterable[int]] = ..., prompt_length: _Optional[int] = ..., advantages: _Optional[_Iterable[float]] = ..., old_logprobs: _Optional[_Iterable[float]] = ..., ref_logprobs: _Optional[_Iterable[float]] = ...) -> None: ...

class PolicyStepRequest(_message.Message):
    __slots__ = ("sequences", "clip_eps", "clip_eps_high", "kl_beta", "aggregation", "max_length", "learning_rate")
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    CLIP_EPS_FIELD_NUMBER: _ClassVar[int]
    CLIP_EPS_HIGH_FIELD_NUMBER: _ClassVar[int]
    KL_BETA_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FIELD_NUMBER: _ClassVar[int]
    MAX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[PolicySequence]
    clip_eps: float
    clip_eps_high: float
    kl_beta: float
    aggregation: LossAggregation
    max_length: int
    learning_rate: float
    def __init__(self, sequences: _Optional[_Iterable[_Union[PolicySequence, _Mapping]]] = ..., clip_eps: _Optional[float] = ..., clip_eps_high: _Optional[float] = ..., kl_beta: _Optional[float] = ..., aggregation: _Optional[_Union[LossAggregation, str]] = ..., max_length: _Optional[int] = ..., learning_rate: _Optional[float] = ...) -> None: ...

class PolicyStepResponse(_message.Message):
    __slots__ = ("loss", "kl", "clip_fraction", "grad_norm", "step", "tokens", "step_time_ms")
    LOSS_FIELD_NUMBER: _ClassVar[int]
    KL_FIELD_NUMBER: _ClassVar[int]
    CLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    GRAD_NORM_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    STEP_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    loss: float
    kl: float
    clip_fraction: float
    grad_norm: float
    step: int
    tokens: int
    step_time_ms: float
    def __init__(self, loss: _Optional[float] = ..., kl: _Optional[float] = ..., clip_fraction: _Optional[float] = ..., grad_norm: _Optional[float] = ..., step: _Optional[int] = ..., tokens: _Optional[int] = ..., step_time_ms: _Optional[float] = ...) -> None: ...

class ResetReferenceRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetReferenceResponse(_message.Message):
    __slots__ = ("step",)
    STEP_FIELD_NUMBER: _ClassVar[int]
    step: int
    def __init__(self, step: _Optional[int] = ...) -> None: ...

class SequenceLogProbs(_message.Message):
    __slots__ = ("logprobs", "sum")
    LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    SUM_FIELD_NUMBER: _ClassVar[int]
    logprobs: _containers.RepeatedScalarFieldContainer[float]
    sum: float
    def __init__(self, logprobs: _Optional[_Iterable[float]] = ..., sum: _Optional[float] = ...) -> None: ...

class LogProbsResponse(_message.Message):
    __slots__ = ("sequences",)
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[SequenceLogProbs]
    def __init__(self, sequences: _Optional[_Iterable[_Union[SequenceLogProbs, _Mapping]]] = ...) -> None: ...

class SaveCheckpointRequest(_message.Message):
    __slots__ = ("path", "client_state_json")
    PATH_FIELD_NUMBER: _ClassVar[int]
    CLIENT_STATE_JSON_FIELD_NUMBER: _ClassVar[int]
    path: str
    client_state_json: str
    def __init__(self, path: _Optional[str] = ..., client_state_json: _Optional[str] = ...) -> None: ...

class SaveCheckpointResponse(_message.Message):
    __slots__ = ("step", "path")
    STEP_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    step: int
    path: str
    def __init__(self, step: _Optional[int] = ..., path: _Optional[str] = ...) -> None: ...

class LoadCheckpointRequest(_message.Message):
    __slots__ = ("path", "fresh_optimizer")
    PATH_FIELD_NUMBER: _ClassVar[int]
    FRESH_OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    path: str
    fresh_optimizer: bool
    def __init__(self, path: _Optional[str] = ..., fresh_optimizer: _Optional[bool] = ...) -> None: ...

class LoadCheckpointResponse(_message.Message):
    __slots__ = ("step", "client_state_json", "model", "optimizer")
    STEP_FIELD_NUMBER: _ClassVar[int]
    CLIENT_STATE_JSON_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    step: int
    client_state_json: str
    model: ModelConfig
    optimizer: OptimizerConfig
    def __init__(self, step: _Optional[int] = ..., client_state_json: _Optional[str] = ..., model: _Optional[_Union[ModelConfig, _Mapping]] = ..., optimizer: _Optional[_Union[OptimizerConfig, _Mapping]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("model_loaded", "step", "device", "compute_dtype", "num_params", "model", "runtime", "held_by_job", "hold_seconds_left")
    MODEL_LOADED_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_DTYPE_FIELD_NUMBER: _ClassVar[int]
    NUM_PARAMS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    HELD_BY_JOB_FIELD_NUMBER: _ClassVar[int]
    HOLD_SECONDS_LEFT_FIELD_NUMBER: _ClassVar[int]
    model_loaded: bool
    step: int
    device: str
    compute_dtype: str
    num_params: int
    model: ModelConfig
    runtime: str
    held_by_job: str
    hold_seconds_left: float
    def __init__(self, model_loaded: _Optional[bool] = ..., step: _Optional[int] = ..., device: _Optional[str] = ..., compute_dtype: _Optional[str] = ..., num_params: _Optional[int] = ..., model: _Optional[_Union[ModelConfig, _Mapping]] = ..., runtime: _Optional[str] = ..., held_by_job: _Optional[str] = ..., hold_seconds_left: _Optional[float] = ...) -> None: ...

class ReleaseWorkerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReleaseWorkerResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class InitRewardModelRequest(_message.Message):
    __slots__ = ("checkpoint", "optimizer", "seed")
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    checkpoint: str
    optimizer: OptimizerConfig
    seed: int
    def __init__(self, checkpoint: _Optional[str] = ..., optimizer: _Optional[_Union[OptimizerConfig, _Mapping]] = ..., seed: _Optional[int] = ...) -> None: ...

class InitRewardModelResponse(_message.Message):
    __slots__ = ("num_params", "head_loaded", "step", "client_state_json")
    NUM_PARAMS_FIELD_NUMBER: _ClassVar[int]
    HEAD_LOADED_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    CLIENT_STATE_JSON_FIELD_NUMBER: _ClassVar[int]
    num_params: int
    head_loaded: bool
    step: int
    client_state_json: str
    def __init__(self, num_params: _Optional[int] = ..., head_loaded: _Optional[bool] = ..., step: _Optional[int] = ..., client_state_json: _Optional[str] = ...) -> None: ...

class ScoredSequence(_message.Message):
    __slots__ = ("tokens", "positions", "labels")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedScalarFieldContainer[int]
    positions: _containers.RepeatedScalarFieldContainer[int]
    labels: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, tokens: _Optional[_Iterable[int]] = ..., positions: _Optional[_Iterable[int]] = ..., labels: _Optional[_Iterable[float]] = ...) -> None: ...

class RewardTrainStepRequest(_message.Message):
    __slots__ = ("sequences", "learning_rate")
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[ScoredSequence]
    learning_rate: float
    def __init__(self, sequences: _Optional[_Iterable[_Union[ScoredSequence, _Mapping]]] = ..., learning_rate: _Optional[float] = ...) -> None: ...

class RewardTrainStepResponse(_message.Message):
    __slots__ = ("loss", "labels", "accuracy", "grad_norm", "step", "step_time_ms")
    LOSS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    GRAD_NORM_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    STEP_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    loss: float
    labels: int
    accuracy: float
    grad_norm: float
    step: int
    step_time_ms: float
    def __init__(self, loss: _Optional[float] = ..., labels: _Optional[int] = ..., accuracy: _Optional[float] = ..., grad_norm: _Optional[float] = ..., step: _Optional[int] = ..., step_time_ms: _Optional[float] = ...) -> None: ...

class RewardScoreRequest(_message.Message):
    __slots__ = ("sequences",)
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[ScoredSequence]
    def __init__(self, sequences: _Optional[_Iterable[_Union[ScoredSequence, _Mapping]]] = ...) -> None: ...

class SequenceScores(_message.Message):
    __slots__ = ("scores",)
    SCORES_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, scores: _Optional[_Iterable[float]] = ...) -> None: ...

class RewardScoreResponse(_message.Message):
    __slots__ = ("sequences",)
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedCompositeFieldContainer[SequenceScores]
    def __init__(self, sequences: _Optional[_Iterable[_Union[SequenceScores, _Mapping]]] = ...) -> None: ...

class SaveRewardModelRequest(_message.Message):
    __slots__ = ("path", "client_state_json")
    PATH_FIELD_NUMBER: _ClassVar[int]
    CLIENT_STATE_JSON_FIELD_NUMBER: _ClassVar[int]
    path: str
    client_state_json: str
    def __init__(self, path: _Optional[str] = ..., client_state_json: _Optional[str] = ...) -> None: ...
