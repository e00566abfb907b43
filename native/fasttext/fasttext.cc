// N-API addon over the official fastText C++ library (Debian's libfasttext, the same code as the Python
// binding): load/save .bin and .ftz, predict, and multi-threaded supervised training off the JS thread.
// src/fasttext/model.ts uses it when built and falls back to the WebAssembly build otherwise.
#include <node_api.h>

#include <fasttext/fasttext.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// fastText's model-file check is protected; a subclass exposes it for models loaded from bytes.
struct Model : fasttext::FastText {
  bool checkSignature(std::istream& in) { return checkModel(in); }
};

struct Handle {
  Model* model = nullptr;
};

#define NAPI_CALL(env, call)                                        \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      const napi_extended_error_info* info = nullptr;               \
      napi_get_last_error_info((env), &info);                       \
      bool pending = false;                                         \
      napi_is_exception_pending((env), &pending);                   \
      if (!pending)                                                 \
        napi_throw_error((env), nullptr,                            \
                         info && info->error_message                \
                             ? info->error_message                  \
                             : "fasttext addon: N-API call failed"); \
      return nullptr;                                               \
    }                                                               \
  } while (0)

napi_value throwError(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

bool readString(napi_env env, napi_value value, std::string& out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out.resize(length);
  size_t written = 0;
  if (napi_get_value_string_utf8(env, value, out.data(), length + 1, &written) != napi_ok) return false;
  out.resize(written);
  return true;
}

void finalizeHandle(napi_env, void* data, void*) {
  auto* handle = static_cast<Handle*>(data);
  delete handle->model;
  delete handle;
}

napi_value wrapModel(napi_env env, Model* model) {
  auto* handle = new Handle{model};
  napi_value external;
  if (napi_create_external(env, handle, finalizeHandle, nullptr, &external) != napi_ok) {
    finalizeHandle(env, handle, nullptr);
    return throwError(env, "fasttext addon: cannot wrap the model");
  }
  return external;
}

Model* unwrapModel(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) {
    throwError(env, "fasttext addon: not a model handle");
    return nullptr;
  }
  auto* handle = static_cast<Handle*>(data);
  if (handle->model == nullptr) throwError(env, "fasttext addon: the model was disposed");
  return handle->model;
}

// loadBytes(buffer, name) -> handle
napi_value LoadBytes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* bytes = nullptr;
  size_t length = 0;
  NAPI_CALL(env, napi_get_buffer_info(env, argv[0], &bytes, &length));
  std::string name;
  if (argc < 2 || !readString(env, argv[1], name)) name = "model";
  auto* model = new Model();
  try {
    std::istringstream in(std::string(static_cast<const char*>(bytes), length));
    // fastText reads words up to a NUL byte with no end-of-file check: a truncated file would loop forever.
    // A valid model never reads past its end, so reading past it is an error here.
    in.exceptions(std::ios::eofbit | std::ios::failbit | std::ios::badbit);
    if (!model->checkSignature(in)) {
      delete model;
      return throwError(env, name + " has wrong file format (not a fastText model)");
    }
    model->loadModel(in);
  } catch (const std::ios_base::failure&) {
    delete model;
    return throwError(env, name + ": truncated or corrupt fastText model file");
  } catch (const std::exception& err) {
    delete model;
    return throwError(env, name + ": " + err.what());
  }
  return wrapModel(env, model);
}

napi_value Labels(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* model = unwrapModel(env, argv[0]);
  if (!model) return nullptr;
  auto dict = model->getDictionary();
  napi_value out;
  NAPI_CALL(env, napi_create_array_with_length(env, dict->nlabels(), &out));
  for (int32_t i = 0; i < dict->nlabels(); i++) {
    const std::string label = dict->getLabel(i);
    napi_value s;
    NAPI_CALL(env, napi_create_string_utf8(env, label.data(), label.size(), &s));
    NAPI_CALL(env, napi_set_element(env, out, i, s));
  }
  return out;
}

napi_value predictionsToArray(napi_env env, const std::vector<std::pair<fasttext::real, std::string>>& predictions) {
  napi_value out;
  NAPI_CALL(env, napi_create_array_with_length(env, predictions.size(), &out));
  for (size_t i = 0; i < predictions.size(); i++) {
    napi_value entry, label, prob;
    NAPI_CALL(env, napi_create_object(env, &entry));
    NAPI_CALL(env, napi_create_string_utf8(env, predictions[i].second.data(), predictions[i].second.size(), &label));
    // predictLine already returns probabilities (exp of the model's log-probabilities).
    NAPI_CALL(env, napi_create_double(env, predictions[i].first, &prob));
    NAPI_CALL(env, napi_set_named_property(env, entry, "label", label));
    NAPI_CALL(env, napi_set_named_property(env, entry, "prob", prob));
    NAPI_CALL(env, napi_set_element(env, out, i, entry));
  }
  return out;
}

// predict(handle, line, k, threshold) -> [{label, prob}], as the Python binding's predict on one line.
napi_value Predict(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* model = unwrapModel(env, argv[0]);
  if (!model) return nullptr;
  std::string line;
  if (!readString(env, argv[1], line)) return throwError(env, "fasttext addon: predict needs a string");
  int32_t k = 1;
  double threshold = 0;
  NAPI_CALL(env, napi_get_value_int32(env, argv[2], &k));
  NAPI_CALL(env, napi_get_value_double(env, argv[3], &threshold));
  // The Python binding appends the newline too, so the end-of-sentence token counts the same way.
  line.push_back('\n');
  std::vector<std::pair<fasttext::real, std::string>> predictions;
  try {
    std::istringstream in(line);
    model->predictLine(in, predictions, k, static_cast<fasttext::real>(threshold));
  } catch (const std::exception& err) {
    return throwError(env, std::string("fastText predict failed: ") + err.what());
  }
  return predictionsToArray(env, predictions);
}

napi_value Save(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* model = unwrapModel(env, argv[0]);
  if (!model) return nullptr;
  std::string path;
  if (!readString(env, argv[1], path)) return throwError(env, "fasttext addon: save needs a path");
  try {
    model->saveModel(path);
  } catch (const std::exception& err) {
    return throwError(env, "cannot save fastText model " + path + ": " + err.what());
  }
  return nullptr;
}

napi_value Dispose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* data = nullptr;
  NAPI_CALL(env, napi_get_value_external(env, argv[0], &data));
  auto* handle = static_cast<Handle*>(data);
  delete handle->model;
  handle->model = nullptr;
  return nullptr;
}

// --- training, on a libuv thread (fastText starts its own threads from there) ---

struct Progress {
  float progress;
  float loss;
  double wordsPerSec;
};

struct TrainJob {
  fasttext::Args args;
  Model* model = nullptr;
  std::string error;
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_threadsafe_function onProgress = nullptr;
};

void callProgress(napi_env env, napi_value callback, void*, void* data) {
  auto* p = static_cast<Progress*>(data);
  if (env != nullptr && callback != nullptr) {
    napi_value argv[3], undefined;
    napi_create_double(env, p->progress, &argv[0]);
    napi_create_double(env, p->loss, &argv[1]);
    napi_create_double(env, p->wordsPerSec, &argv[2]);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 3, argv, nullptr);
  }
  delete p;
}

void executeTrain(napi_env, void* data) {
  auto* job = static_cast<TrainJob*>(data);
  job->model = new Model();
  try {
    job->model->train(job->args, [job](float progress, float loss, double wst, double, int64_t) {
      if (!job->onProgress) return;
      napi_call_threadsafe_function(job->onProgress, new Progress{progress, loss, wst}, napi_tsfn_nonblocking);
    });
  } catch (const std::exception& err) {
    job->error = err.what();
    delete job->model;
    job->model = nullptr;
  }
}

void completeTrain(napi_env env, napi_status, void* data) {
  auto* job = static_cast<TrainJob*>(data);
  if (job->onProgress) napi_release_threadsafe_function(job->onProgress, napi_tsfn_release);
  if (job->model) {
    napi_value handle = wrapModel(env, job->model);
    napi_resolve_deferred(env, job->deferred, handle);
  } else {
    napi_value message, error;
    const std::string text = "fastText training failed: " + (job->error.empty() ? "unknown error" : job->error);
    napi_create_string_utf8(env, text.data(), text.size(), &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  delete job;
}

bool getNumber(napi_env env, napi_value object, const char* key, double& out) {
  bool has = false;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return false;
  napi_value value;
  napi_valuetype type;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return false;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) return false;
  return napi_get_value_double(env, value, &out) == napi_ok;
}

bool getStringProperty(napi_env env, napi_value object, const char* key, std::string& out) {
  bool has = false;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return false;
  napi_value value;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return false;
  return readString(env, value, out);
}

// train({input, dim, lr, ...}, onProgress?) -> Promise<handle>
napi_value Train(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto* job = new TrainJob();
  fasttext::Args& a = job->args;
  a.model = fasttext::model_name::sup;
  a.loss = fasttext::loss_name::softmax;
  a.verbose = 0;
  if (!getStringProperty(env, argv[0], "input", a.input)) {
    delete job;
    return throwError(env, "fasttext addon: train needs an input path");
  }
  getStringProperty(env, argv[0], "label", a.label);
  std::string loss;
  if (getStringProperty(env, argv[0], "loss", loss)) {
    if (loss == "softmax") a.loss = fasttext::loss_name::softmax;
    else if (loss == "hs") a.loss = fasttext::loss_name::hs;
    else if (loss == "ns") a.loss = fasttext::loss_name::ns;
    else if (loss == "ova") a.loss = fasttext::loss_name::ova;
    else {
      delete job;
      return throwError(env, "fasttext addon: unknown loss " + loss);
    }
  }
  double v;
  if (getNumber(env, argv[0], "lr", v)) a.lr = v;
  if (getNumber(env, argv[0], "dim", v)) a.dim = static_cast<int>(v);
  if (getNumber(env, argv[0], "epoch", v)) a.epoch = static_cast<int>(v);
  if (getNumber(env, argv[0], "minCount", v)) a.minCount = static_cast<int>(v);
  if (getNumber(env, argv[0], "wordNgrams", v)) a.wordNgrams = static_cast<int>(v);
  if (getNumber(env, argv[0], "bucket", v)) a.bucket = static_cast<int>(v);
  if (getNumber(env, argv[0], "minn", v)) a.minn = static_cast<int>(v);
  if (getNumber(env, argv[0], "maxn", v)) a.maxn = static_cast<int>(v);
  if (getNumber(env, argv[0], "seed", v)) a.seed = static_cast<int>(v);
  if (getNumber(env, argv[0], "thread", v)) a.thread = static_cast<int>(v);
  if (a.wordNgrams <= 1 && a.maxn == 0) a.bucket = 0;  // as fastText's Args::parseArgs does

  napi_valuetype callbackType = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &callbackType);
  if (callbackType == napi_function) {
    napi_value name;
    NAPI_CALL(env, napi_create_string_utf8(env, "fasttext-progress", NAPI_AUTO_LENGTH, &name));
    NAPI_CALL(env, napi_create_threadsafe_function(env, argv[1], nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                                   callProgress, &job->onProgress));
  }
  napi_value promise, resource;
  NAPI_CALL(env, napi_create_promise(env, &job->deferred, &promise));
  NAPI_CALL(env, napi_create_string_utf8(env, "fasttext-train", NAPI_AUTO_LENGTH, &resource));
  NAPI_CALL(env, napi_create_async_work(env, nullptr, resource, executeTrain, completeTrain, job, &job->work));
  NAPI_CALL(env, napi_queue_async_work(env, job->work));
  return promise;
}

}  // namespace

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  const napi_property_descriptor properties[] = {
      {"loadBytes", nullptr, LoadBytes, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"labels", nullptr, Labels, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"predict", nullptr, Predict, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"save", nullptr, Save, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dispose", nullptr, Dispose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"train", nullptr, Train, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
