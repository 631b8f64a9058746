// imagecot's thin N-API binding over libtorch: tensors in, tensors out.
// Every entry point converts libtorch errors into JS exceptions (never an abort); every
// tensor is owned by one JS handle and freed by dispose() (or, as a last resort, by GC).
#include <napi.h>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/types.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <malloc.h>

#include <atomic>
#include <optional>
#include <cstring>
#include <mutex>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using at::Tensor;
using Napi::CallbackInfo;

// Live tensors held by JS handles: lets tests prove that scopes free everything.
std::atomic<int64_t> g_live{0};

const napi_type_tag kTensorTag = {0x6a1c0e7d52f94b11ULL, 0x9d0b3c4e8a7f2e65ULL};
const napi_type_tag kGeneratorTag = {0x1f2e3d4c5b6a7988ULL, 0x8899aabbccddeeffULL};

Napi::Error Err(Napi::Env env, const std::string& msg) { return Napi::Error::New(env, msg); }

// ---------------------------------------------------------------------------------------
// Tensor handle

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::FunctionReference ctor;
  Tensor t;

  explicit TensorWrap(const CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
    info.This().As<Napi::Object>().TypeTag(&kTensorTag);
  }
  ~TensorWrap() override { release(); }

  void release() {
    if (t.defined()) {
      t = Tensor();
      g_live--;
    }
  }

  static Napi::Object Make(Napi::Env env, Tensor t) {
    Napi::Object obj = ctor.New({});
    TensorWrap* w = Unwrap(obj);
    if (t.defined()) g_live++;
    w->t = std::move(t);
    return obj;
  }

  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(env, "TensorHandle", {});
    ctor = Napi::Persistent(f);
    exports.Set("TensorHandle", f);
  }
};
Napi::FunctionReference TensorWrap::ctor;

TensorWrap* Handle(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kTensorTag))
    throw Napi::TypeError::New(env, "expected a tensor handle");
  return TensorWrap::Unwrap(v.As<Napi::Object>());
}

Tensor& T(const Napi::Value& v) {
  TensorWrap* w = Handle(v);
  if (!w->t.defined()) throw Err(v.Env(), "tensor used after dispose()");
  return w->t;
}

c10::optional<Tensor> OptT(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  return T(v);
}

int64_t Int(const Napi::Value& v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "expected an integer");
  return v.As<Napi::Number>().Int64Value();
}
double Dbl(const Napi::Value& v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}
bool Bool(const Napi::Value& v) { return v.ToBoolean().Value(); }
std::string Str(const Napi::Value& v) {
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), "expected a string");
  return v.As<Napi::String>().Utf8Value();
}
std::vector<int64_t> Ints(const Napi::Value& v) {
  if (v.IsNumber()) return {Int(v)};
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of integers");
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = Int(a.Get(i));
  return out;
}
std::vector<Tensor> Tensors(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<Tensor> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(T(a.Get(i)));
  return out;
}
// Integral JS numbers become integer scalars so that int tensors stay int.
at::Scalar Sc(const Napi::Value& v) {
  double d = Dbl(v);
  if (std::floor(d) == d && std::fabs(d) < 9007199254740992.0) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

at::ScalarType DType(Napi::Env env, const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "float64") return at::kDouble;
  if (s == "int64") return at::kLong;
  if (s == "int32") return at::kInt;
  if (s == "bool") return at::kBool;
  if (s == "uint8") return at::kByte;
  if (s == "float16") return at::kHalf;
  if (s == "bfloat16") return at::kBFloat16;
  throw Err(env, "unknown dtype '" + s + "' (valid: float32, float64, int64, int32, bool, uint8, float16, bfloat16)");
}
std::string DTypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kBool: return "bool";
    case at::kByte: return "uint8";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    default: return c10::toString(t);
  }
}
at::ScalarType DTypeArg(const Napi::Value& v, at::ScalarType dflt) {
  return v.IsUndefined() || v.IsNull() ? dflt : DType(v.Env(), Str(v));
}

// An optional random stream; absent means libtorch's global generator.
c10::optional<at::Generator> Gen(const Napi::Value& v);

Napi::Value W(Napi::Env env, Tensor t) { return TensorWrap::Make(env, std::move(t)); }
Napi::Value W(Napi::Env env, std::tuple<Tensor, Tensor> p) {
  auto a = Napi::Array::New(env, 2);
  a.Set(0u, TensorWrap::Make(env, std::move(std::get<0>(p))));
  a.Set(1u, TensorWrap::Make(env, std::move(std::get<1>(p))));
  return a;
}
Napi::Value W(Napi::Env env, double d) { return Napi::Number::New(env, d); }
Napi::Value W(Napi::Env env, bool b) { return Napi::Boolean::New(env, b); }
Napi::Value W(Napi::Env env, std::vector<Tensor> v) {
  auto a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); i++) a.Set(static_cast<uint32_t>(i), TensorWrap::Make(env, std::move(v[i])));
  return a;
}

// Runs an op body, turning libtorch's exceptions into JS errors carrying its message.
template <class F>
Napi::Value Guard(const CallbackInfo& a, F f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Err(a.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Err(a.Env(), e.what());
  }
}

#define OP(name, body)                                                                \
  exports.Set(name, Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {   \
    return Guard(a, [&]() -> Napi::Value { return W(a.Env(), body); });                   \
  }))

// Binary ops accept a tensor or a JS number as the second operand.
#define BINARY(name, fn)                                                            \
  OP(name, a[1].IsNumber() ? fn(T(a[0]), Sc(a[1])) : fn(T(a[0]), T(a[1])))

// ---------------------------------------------------------------------------------------
// Random streams

class GeneratorWrap : public Napi::ObjectWrap<GeneratorWrap> {
 public:
  static Napi::FunctionReference ctor;
  at::Generator gen;

  explicit GeneratorWrap(const CallbackInfo& info) : Napi::ObjectWrap<GeneratorWrap>(info) {
    info.This().As<Napi::Object>().TypeTag(&kGeneratorTag);
    uint64_t seed = info.Length() > 0 ? static_cast<uint64_t>(Int(info[0])) : 0;
    gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  }

  Napi::Value GetState(const CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    Tensor s = gen.get_state();
    auto buf = Napi::Uint8Array::New(info.Env(), s.numel());
    std::memcpy(buf.Data(), s.data_ptr<uint8_t>(), s.numel());
    return buf;
  }
  void SetState(const CallbackInfo& info) {
    Guard(info, [&]() -> Napi::Value {
      if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "expected a Uint8Array state");
      auto buf = info[0].As<Napi::Uint8Array>();
      Tensor s = at::empty({static_cast<int64_t>(buf.ElementLength())}, at::kByte);
      std::memcpy(s.data_ptr<uint8_t>(), buf.Data(), buf.ElementLength());
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(s);
      return info.Env().Undefined();
    });
  }

  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(env, "Generator", {
      InstanceMethod("getState", &GeneratorWrap::GetState),
      InstanceMethod("setState", &GeneratorWrap::SetState),
    });
    ctor = Napi::Persistent(f);
    exports.Set("Generator", f);
  }
};
Napi::FunctionReference GeneratorWrap::ctor;

c10::optional<at::Generator> Gen(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kGeneratorTag))
    throw Napi::TypeError::New(v.Env(), "expected a Generator");
  return GeneratorWrap::Unwrap(v.As<Napi::Object>())->gen;
}

// ---------------------------------------------------------------------------------------
// Optimisers: libtorch's own AdamW and SGD over parameter groups.

// Optimisers alive (made and not disposed): their copies of the parameters, gradients and
// moments stay allocated until dispose() or GC, which nothing triggers in a long process.
std::atomic<int64_t> g_live_optimizers{0};

class OptimizerWrap : public Napi::ObjectWrap<OptimizerWrap> {
 public:
  std::unique_ptr<torch::optim::Optimizer> opt;
  bool adam = false;

  ~OptimizerWrap() override { if (opt) g_live_optimizers--; }

  torch::optim::Optimizer& Opt(Napi::Env env) {
    if (!opt) throw Err(env, "optimizer used after dispose()");
    return *opt;
  }

  // new Optimizer(kind, groups: [{params, weightDecay}], {lr, beta1, beta2, eps, momentum, nesterov})
  explicit OptimizerWrap(const CallbackInfo& info) : Napi::ObjectWrap<OptimizerWrap>(info) {
    Guard(info, [&]() -> Napi::Value {
      std::string kind = Str(info[0]);
      auto groups = info[1].As<Napi::Array>();
      auto o = info[2].As<Napi::Object>();
      double lr = Dbl(o.Get("lr"));
      std::vector<torch::optim::OptimizerParamGroup> pg;
      if (kind == "adamw") {
        adam = true;
        for (uint32_t i = 0; i < groups.Length(); i++) {
          auto g = groups.Get(i).As<Napi::Object>();
          auto opts = std::make_unique<torch::optim::AdamWOptions>(lr);
          opts->betas({Dbl(o.Get("beta1")), Dbl(o.Get("beta2"))}).eps(Dbl(o.Get("eps"))).weight_decay(Dbl(g.Get("weightDecay")));
          pg.emplace_back(Tensors(g.Get("params")), std::move(opts));
        }
        opt = std::make_unique<torch::optim::AdamW>(pg, torch::optim::AdamWOptions(lr));
      } else if (kind == "sgd") {
        for (uint32_t i = 0; i < groups.Length(); i++) {
          auto g = groups.Get(i).As<Napi::Object>();
          auto opts = std::make_unique<torch::optim::SGDOptions>(lr);
          opts->momentum(Dbl(o.Get("momentum"))).nesterov(Bool(o.Get("nesterov"))).weight_decay(Dbl(g.Get("weightDecay")));
          pg.emplace_back(Tensors(g.Get("params")), std::move(opts));
        }
        opt = std::make_unique<torch::optim::SGD>(pg, torch::optim::SGDOptions(lr));
      } else {
        throw Err(info.Env(), "unknown optimizer '" + kind + "' (valid: adamw, sgd)");
      }
      g_live_optimizers++;
      return info.Env().Undefined();
    });
  }

  Napi::Value Step(const CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value { Opt(info.Env()).step(); return info.Env().Undefined(); });
  }
  Napi::Value ZeroGrad(const CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value { Opt(info.Env()).zero_grad(); return info.Env().Undefined(); });
  }
  Napi::Value SetLr(const CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      double lr = Dbl(info[0]);
      for (auto& g : Opt(info.Env()).param_groups()) g.options().set_lr(lr);
      return info.Env().Undefined();
    });
  }
  // Frees the parameter references, gradients' holds and state now (idempotent).
  Napi::Value Dispose(const CallbackInfo& info) {
    if (opt) { opt.reset(); g_live_optimizers--; }
    return info.Env().Undefined();
  }

  // libtorch keys an optimiser's state by the parameter's TensorImpl: its address as a string in
  // 1.13, the pointer itself in 2.x.
  using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state().begin()->first)>;
  template <typename K = StateKey>
  static K Key(const Tensor& p) {
    if constexpr (std::is_same_v<K, std::string>) {
      std::ostringstream s;
      s << p.unsafeGetTensorImpl();
      return s.str();
    } else {
      return p.unsafeGetTensorImpl();
    }
  }

  // State per parameter, in group order: AdamW {step, expAvg, expAvgSq}; SGD {momentum}.
  // Entries are null for parameters that have no state yet (never stepped).
  Napi::Value GetState(const CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto out = Napi::Array::New(env);
    uint32_t k = 0;
    Opt(env);
    for (auto& g : opt->param_groups()) {
      for (auto& p : g.params()) {
        auto it = opt->state().find(Key(p));
        if (it == opt->state().end()) { out.Set(k++, env.Null()); continue; }
        auto e = Napi::Object::New(env);
        if (adam) {
          auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
          e.Set("step", Napi::Number::New(env, static_cast<double>(s.step())));
          e.Set("expAvg", TensorWrap::Make(env, s.exp_avg().clone()));
          e.Set("expAvgSq", TensorWrap::Make(env, s.exp_avg_sq().clone()));
        } else {
          auto& s = static_cast<torch::optim::SGDParamState&>(*it->second);
          if (s.momentum_buffer().defined()) e.Set("momentum", TensorWrap::Make(env, s.momentum_buffer().clone()));
        }
        out.Set(k++, e);
      }
    }
    return out;
    });
  }

  Napi::Value SetState(const CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      auto arr = info[0].As<Napi::Array>();
      uint32_t k = 0;
      Opt(info.Env());
      for (auto& g : opt->param_groups()) {
        for (auto& p : g.params()) {
          if (k >= arr.Length()) throw Err(info.Env(), "optimizer state has fewer entries than parameters");
          Napi::Value v = arr.Get(k++);
          if (v.IsNull() || v.IsUndefined()) { opt->state().erase(Key(p)); continue; }
          auto e = v.As<Napi::Object>();
          if (adam) {
            auto s = std::make_unique<torch::optim::AdamWParamState>();
            s->step(Int(e.Get("step")));
            s->exp_avg(T(e.Get("expAvg")).clone());
            s->exp_avg_sq(T(e.Get("expAvgSq")).clone());
            TORCH_CHECK(s->exp_avg().sizes() == p.sizes(), "optimizer state shape ", s->exp_avg().sizes(), " does not match parameter ", p.sizes());
            opt->state()[Key(p)] = std::move(s);
          } else {
            auto s = std::make_unique<torch::optim::SGDParamState>();
            if (e.Has("momentum")) s->momentum_buffer(T(e.Get("momentum")).clone());
            opt->state()[Key(p)] = std::move(s);
          }
        }
      }
      if (k != arr.Length()) throw Err(info.Env(), "optimizer state has more entries than parameters");
      return info.Env().Undefined();
    });
  }

  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(env, "Optimizer", {
      InstanceMethod("step", &OptimizerWrap::Step),
      InstanceMethod("zeroGrad", &OptimizerWrap::ZeroGrad),
      InstanceMethod("setLr", &OptimizerWrap::SetLr),
      InstanceMethod("getState", &OptimizerWrap::GetState),
      InstanceMethod("setState", &OptimizerWrap::SetState),
      InstanceMethod("dispose", &OptimizerWrap::Dispose),
    });
    exports.Set("Optimizer", f);
  }
};

// ---------------------------------------------------------------------------------------
// Typed arrays <-> tensors (always copies: JS and libtorch never share memory).

Napi::Value FromArray(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    Napi::Env env = a.Env();
    if (!a[0].IsTypedArray()) throw Napi::TypeError::New(env, "fromArray expects a typed array");
    auto ta = a[0].As<Napi::TypedArray>();
    std::vector<int64_t> shape = Ints(a[1]);
    at::ScalarType st;
    switch (ta.TypedArrayType()) {
      case napi_float32_array: st = at::kFloat; break;
      case napi_float64_array: st = at::kDouble; break;
      case napi_bigint64_array: st = at::kLong; break;
      case napi_int32_array: st = at::kInt; break;
      case napi_uint8_array: st = at::kByte; break;
      default: throw Napi::TypeError::New(env, "fromArray: unsupported typed array (use Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array)");
    }
    int64_t n = 1;
    for (auto d : shape) n *= d;
    if (n != static_cast<int64_t>(ta.ElementLength()))
      throw Err(env, "fromArray: shape holds " + std::to_string(n) + " elements but the array has " + std::to_string(ta.ElementLength()));
    auto* data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    Tensor t = at::from_blob(data, shape, at::TensorOptions().dtype(st)).clone();
    at::ScalarType want = DTypeArg(a[2], st);
    if (want != st) t = t.to(want);
    return W(env, t);
  });
}

Napi::Value ToArray(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    Napi::Env env = a.Env();
    Tensor t = T(a[0]).detach().to(at::kCPU).contiguous();
    size_t n = t.numel();
    switch (t.scalar_type()) {
      case at::kFloat: { auto r = Napi::Float32Array::New(env, n); std::memcpy(r.Data(), t.data_ptr(), n * 4); return r; }
      case at::kDouble: { auto r = Napi::Float64Array::New(env, n); std::memcpy(r.Data(), t.data_ptr(), n * 8); return r; }
      case at::kLong: { auto r = Napi::TypedArrayOf<int64_t>::New(env, n, napi_bigint64_array); std::memcpy(r.Data(), t.data_ptr(), n * 8); return r; }
      case at::kInt: { auto r = Napi::Int32Array::New(env, n); std::memcpy(r.Data(), t.data_ptr(), n * 4); return r; }
      case at::kBool:
      case at::kByte: { auto r = Napi::Uint8Array::New(env, n); std::memcpy(r.Data(), t.data_ptr(), n); return r; }
      case at::kHalf:
      case at::kBFloat16: { auto r = Napi::Uint16Array::New(env, n); std::memcpy(r.Data(), t.data_ptr(), n * 2); return r; }
      default: throw Err(env, "toArray: unsupported dtype " + DTypeName(t.scalar_type()));
    }
  });
}

// Raw little-endian bytes of any dtype, for safetensors (float16/bfloat16 included).
Napi::Value FromBytes(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    Napi::Env env = a.Env();
    if (!a[0].IsTypedArray()) throw Napi::TypeError::New(env, "fromBytes expects a Uint8Array");
    auto ta = a[0].As<Napi::Uint8Array>();
    std::vector<int64_t> shape = Ints(a[1]);
    at::ScalarType st = DType(env, Str(a[2]));
    int64_t n = 1;
    for (auto d : shape) n *= d;
    size_t need = n * c10::elementSize(st);
    if (need != ta.ByteLength())
      throw Err(env, "fromBytes: shape and dtype need " + std::to_string(need) + " bytes but got " + std::to_string(ta.ByteLength()));
    Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
    if (need > 0) std::memcpy(t.data_ptr(), ta.Data(), need);
    return W(env, t);
  });
}

Napi::Value ToBytes(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    Tensor t = T(a[0]).detach().to(at::kCPU).contiguous();
    size_t n = t.numel() * t.element_size();
    auto r = Napi::Uint8Array::New(a.Env(), n);
    if (n > 0) std::memcpy(r.Data(), t.data_ptr(), n);
    return r;
  });
}

Napi::Value Shape(const CallbackInfo& a) {
  Tensor& t = T(a[0]);
  auto arr = Napi::Array::New(a.Env(), t.dim());
  for (int64_t i = 0; i < t.dim(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(a.Env(), static_cast<double>(t.size(i))));
  return arr;
}

Napi::Value Item(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    Tensor& t = T(a[0]);
    if (t.numel() != 1) throw Err(a.Env(), "item() needs a tensor with one element, got " + std::to_string(t.numel()));
    return Napi::Number::New(a.Env(), t.item<double>());
  });
}

Napi::Value Dispose(const CallbackInfo& a) {
  Handle(a[0])->release();
  return a.Env().Undefined();
}

Napi::Value Backward(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    auto g = OptT(a[1]);
    T(a[0]).backward(g ? *g : Tensor(), Bool(a[2]));
    return a.Env().Undefined();
  });
}

Napi::Value Grad(const CallbackInfo& a) {
  const Tensor& g = T(a[0]).grad();
  if (!g.defined()) return a.Env().Null();
  return W(a.Env(), g);
}

Napi::Value ClipGradNorm(const CallbackInfo& a) {
  return Guard(a, [&]() -> Napi::Value {
    return Napi::Number::New(a.Env(), torch::nn::utils::clip_grad_norm_(Tensors(a[0]), Dbl(a[1])));
  });
}

int (*BlasGet())() { return reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")); }
void (*BlasSet())(int) { return reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TensorWrap::Init(env, exports);
  GeneratorWrap::Init(env, exports);
  OptimizerWrap::Init(env, exports);

  exports.Set("version", Napi::String::New(env, TORCH_VERSION));
  exports.Set("fromArray", Napi::Function::New(env, FromArray));
  exports.Set("toArray", Napi::Function::New(env, ToArray));
  exports.Set("fromBytes", Napi::Function::New(env, FromBytes));
  exports.Set("toBytes", Napi::Function::New(env, ToBytes));
  exports.Set("shape", Napi::Function::New(env, Shape));
  exports.Set("item", Napi::Function::New(env, Item));
  exports.Set("dispose", Napi::Function::New(env, Dispose));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("grad", Napi::Function::New(env, Grad));
  exports.Set("clipGradNorm", Napi::Function::New(env, ClipGradNorm));
  exports.Set("liveOptimizers", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Number::New(a.Env(), static_cast<double>(g_live_optimizers.load()));
  }));
  exports.Set("liveTensors", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Number::New(a.Env(), static_cast<double>(g_live.load()));
  }));
  exports.Set("isDisposed", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Boolean::New(a.Env(), !Handle(a[0])->t.defined());
  }));
  exports.Set("dtype", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::String::New(a.Env(), DTypeName(T(a[0]).scalar_type()));
  }));
  exports.Set("device", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::String::New(a.Env(), T(a[0]).device().str());
  }));
  exports.Set("requiresGrad", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Boolean::New(a.Env(), T(a[0]).requires_grad());
  }));
  exports.Set("setRequiresGrad", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Guard(a, [&]() -> Napi::Value { T(a[0]).requires_grad_(Bool(a[1])); return a.Env().Undefined(); });
  }));
  exports.Set("isGradEnabled", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Boolean::New(a.Env(), at::GradMode::is_enabled());
  }));
  exports.Set("setGradEnabled", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    at::GradMode::set_enabled(Bool(a[0]));
    return a.Env().Undefined();
  }));
  exports.Set("manualSeed", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    at::manual_seed(static_cast<uint64_t>(Int(a[0])));
    return a.Env().Undefined();
  }));
  // Mixed precision: matmuls and convolutions in bfloat16 (AMX/AVX-512 through oneDNN), other
  // ops as their inputs come. Weights cast inside a region are cached until it is left, so the
  // cache is cleared then: an optimiser step changes them.
  exports.Set("setAutocast", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    // the per-device calls of 2.4 on: the CPU-only ones warn at every call there
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCPU, Bool(a[0]));
#else
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(Bool(a[0]));
#endif
    return a.Env().Undefined();
  }));
  exports.Set("isAutocast", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    return Napi::Boolean::New(a.Env(), at::autocast::is_autocast_enabled(at::kCPU));
#else
    return Napi::Boolean::New(a.Env(), at::autocast::is_cpu_enabled());
#endif
  }));
  exports.Set("clearAutocastCache", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    at::autocast::clear_cache();
    return a.Env().Undefined();
  }));
  // glibc's heap: what it holds in use and what it keeps free (the resident set also counts the
  // free part), and handing free pages back to the kernel, so that a long run's growth can be
  // told apart: tensors kept alive, or memory freed but not returned.
  exports.Set("heapStats", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    struct mallinfo2 m = mallinfo2();
    auto o = Napi::Object::New(a.Env());
    o.Set("inUse", static_cast<double>(m.uordblks));
    o.Set("free", static_cast<double>(m.fordblks));
    o.Set("mmapped", static_cast<double>(m.hblkhd));
    return o;
  }));
  exports.Set("trimHeap", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Boolean::New(a.Env(), malloc_trim(0) == 1);
  }));
  exports.Set("setNumThreads", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Guard(a, [&]() -> Napi::Value { at::set_num_threads(static_cast<int>(Int(a[0]))); return a.Env().Undefined(); });
  }));
  exports.Set("getNumThreads", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Number::New(a.Env(), at::get_num_threads());
  }));
  exports.Set("setBlasThreads", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    auto f = BlasSet();
    if (f) f(static_cast<int>(Int(a[0])));
    return Napi::Boolean::New(a.Env(), f != nullptr);
  }));
  exports.Set("getBlasThreads", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    auto f = BlasGet();
    return f ? Napi::Number::New(a.Env(), f()) : a.Env().Null();
  }));
  exports.Set("cudaAvailable", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Napi::Boolean::New(a.Env(), at::hasCUDA());
  }));

  // Creation
  OP("zeros", at::zeros(Ints(a[0]), at::TensorOptions().dtype(DTypeArg(a[1], at::kFloat))));
  OP("ones", at::ones(Ints(a[0]), at::TensorOptions().dtype(DTypeArg(a[1], at::kFloat))));
  OP("full", at::full(Ints(a[0]), Sc(a[1]), at::TensorOptions().dtype(DTypeArg(a[2], at::kFloat))));
  OP("arange", at::arange(Sc(a[0]), Sc(a[1]), Sc(a[2]), at::TensorOptions().dtype(DTypeArg(a[3], at::kLong))));
  OP("randn", at::randn(Ints(a[0]), Gen(a[1]), at::TensorOptions().dtype(DTypeArg(a[2], at::kFloat))));
  OP("rand", at::rand(Ints(a[0]), Gen(a[1]), at::TensorOptions().dtype(DTypeArg(a[2], at::kFloat))));
  OP("randint", at::randint(Int(a[0]), Int(a[1]), Ints(a[2]), Gen(a[3]), at::TensorOptions().dtype(at::kLong)));
  OP("randperm", at::randperm(Int(a[0]), Gen(a[1]), at::TensorOptions().dtype(at::kLong)));
  OP("multinomial", at::multinomial(T(a[0]), Int(a[1]), Bool(a[2]), Gen(a[3])));
  OP("bernoulli", at::bernoulli(T(a[0]), Gen(a[1])));

  // Elementwise arithmetic (broadcasting)
  BINARY("add", at::add);
  BINARY("sub", at::sub);
  BINARY("mul", at::mul);
  BINARY("div", at::div);
  BINARY("pow", at::pow);
  BINARY("remainder", at::remainder);
  BINARY("eq", at::eq);
  BINARY("ne", at::ne);
  BINARY("lt", at::lt);
  BINARY("le", at::le);
  BINARY("gt", at::gt);
  BINARY("ge", at::ge);
  OP("maximum", at::maximum(T(a[0]), T(a[1])));
  OP("minimum", at::minimum(T(a[0]), T(a[1])));
  OP("logicalAnd", at::logical_and(T(a[0]), T(a[1])));
  OP("logicalOr", at::logical_or(T(a[0]), T(a[1])));
  OP("logicalNot", at::logical_not(T(a[0])));
  OP("neg", at::neg(T(a[0])));
  OP("abs", at::abs(T(a[0])));
  OP("exp", at::exp(T(a[0])));
  OP("log", at::log(T(a[0])));
  OP("sqrt", at::sqrt(T(a[0])));
  OP("rsqrt", at::rsqrt(T(a[0])));
  OP("sin", at::sin(T(a[0])));
  OP("cos", at::cos(T(a[0])));
  OP("floor", at::floor(T(a[0])));
  OP("round", at::round(T(a[0])));
  OP("sign", at::sign(T(a[0])));
  OP("tanh", at::tanh(T(a[0])));
  OP("sigmoid", at::sigmoid(T(a[0])));
  OP("logsigmoid", at::log_sigmoid(T(a[0])));
  OP("relu", at::relu(T(a[0])));
  OP("silu", at::silu(T(a[0])));
  OP("gelu", at::gelu(T(a[0]), a[1].IsString() ? Str(a[1]) : "none"));
  OP("clamp", at::clamp(T(a[0]), a[1].IsNumber() ? c10::optional<at::Scalar>(Sc(a[1])) : c10::nullopt,
                        a[2].IsNumber() ? c10::optional<at::Scalar>(Sc(a[2])) : c10::nullopt));
  OP("where", at::where(T(a[0]), a[1].IsNumber() ? at::scalar_tensor(Sc(a[1]), T(a[2]).options()) : T(a[1]),
                        a[2].IsNumber() ? at::scalar_tensor(Sc(a[2]), T(a[1]).options()) : T(a[2])));
  OP("maskedFill", at::masked_fill(T(a[0]), T(a[1]), Sc(a[2])));

  // Reductions (dims: array; empty or absent = all)
  OP("sum", a[1].IsUndefined() ? at::sum(T(a[0])) : at::sum(T(a[0]), Ints(a[1]), Bool(a[2])));
  OP("mean", a[1].IsUndefined() ? at::mean(T(a[0])) : at::mean(T(a[0]), Ints(a[1]), Bool(a[2])));
  OP("amax", at::amax(T(a[0]), Ints(a[1]), Bool(a[2])));
  OP("amin", at::amin(T(a[0]), Ints(a[1]), Bool(a[2])));
  OP("maxDim", at::max(T(a[0]), Int(a[1]), Bool(a[2])));
  OP("minDim", at::min(T(a[0]), Int(a[1]), Bool(a[2])));
  OP("argmax", a[1].IsUndefined() ? at::argmax(T(a[0])) : at::argmax(T(a[0]), Int(a[1]), Bool(a[2])));
  OP("argmin", a[1].IsUndefined() ? at::argmin(T(a[0])) : at::argmin(T(a[0]), Int(a[1]), Bool(a[2])));
  OP("topk", at::topk(T(a[0]), Int(a[1]), Int(a[2]), Bool(a[3]), true));
  OP("sort", at::sort(T(a[0]), Int(a[1]), Bool(a[2])));
  OP("argsort", at::argsort(T(a[0]), Int(a[1]), Bool(a[2])));
  OP("logsumexp", at::logsumexp(T(a[0]), Ints(a[1]), Bool(a[2])));
  OP("cumsum", at::cumsum(T(a[0]), Int(a[1])));
  OP("var", at::var(T(a[0]), Ints(a[1]), Bool(a[2]), Bool(a[3])));
  OP("all", at::all(T(a[0])));
  OP("any", at::any(T(a[0])));

  // Linear algebra and neural-network functions
  OP("matmul", at::matmul(T(a[0]), T(a[1])));
  OP("bmm", at::bmm(T(a[0]), T(a[1])));
  OP("linear", at::linear(T(a[0]), T(a[1]), OptT(a[2])));
  OP("softmax", at::softmax(T(a[0]), Int(a[1])));
  OP("logSoftmax", at::log_softmax(T(a[0]), Int(a[1])));
  OP("layerNorm", at::layer_norm(T(a[0]), Ints(a[1]), OptT(a[2]), OptT(a[3]), Dbl(a[4])));
  OP("groupNorm", at::group_norm(T(a[0]), Int(a[1]), OptT(a[2]), OptT(a[3]), Dbl(a[4])));
  OP("embedding", at::embedding(T(a[0]), T(a[1])));
  OP("conv2d", at::conv2d(T(a[0]), T(a[1]), OptT(a[2]), Ints(a[3]), Ints(a[4]), Ints(a[5]), Int(a[6])));
  OP("convTranspose2d", at::conv_transpose2d(T(a[0]), T(a[1]), OptT(a[2]), Ints(a[3]), Ints(a[4]), Ints(a[5]), Int(a[6]), Ints(a[7])));
  OP("maxPool2d", at::max_pool2d(T(a[0]), Ints(a[1]), Ints(a[2]), Ints(a[3])));
  OP("avgPool2d", at::avg_pool2d(T(a[0]), Ints(a[1]), Ints(a[2]), Ints(a[3])));
  OP("adaptiveAvgPool2d", at::adaptive_avg_pool2d(T(a[0]), Ints(a[1])));
  OP("upsampleNearest2d", at::upsample_nearest2d(T(a[0]), Ints(a[1])));
  OP("upsampleBilinear2d", at::upsample_bilinear2d(T(a[0]), Ints(a[1]), Bool(a[2])));
  OP("dropout", at::dropout(T(a[0]), Dbl(a[1]), Bool(a[2])));
  // crossEntropy(logits (N,C), target (N), ignoreIndex, labelSmoothing, reduction: 0 none 1 mean 2 sum)
  OP("crossEntropy", at::cross_entropy_loss(T(a[0]), T(a[1]), c10::nullopt, Int(a[4]), Int(a[2]), Dbl(a[3])));
  OP("mseLoss", at::mse_loss(T(a[0]), T(a[1]), Int(a[2])));
  OP("bceWithLogits", at::binary_cross_entropy_with_logits(T(a[0]), T(a[1]), c10::nullopt, c10::nullopt, Int(a[2])));
  OP("oneHot", at::one_hot(T(a[0]), Int(a[1])));

  // Shapes and indexing
  OP("reshape", at::reshape(T(a[0]), Ints(a[1])));
  OP("permute", T(a[0]).permute(Ints(a[1])));
  OP("transpose", at::transpose(T(a[0]), Int(a[1]), Int(a[2])));
  OP("contiguous", T(a[0]).contiguous());
  OP("squeeze", at::squeeze(T(a[0]), Int(a[1])));
  OP("unsqueeze", at::unsqueeze(T(a[0]), Int(a[1])));
  OP("expand", T(a[0]).expand(Ints(a[1])));
  OP("repeat", T(a[0]).repeat(Ints(a[1])));
  OP("flatten", at::flatten(T(a[0]), Int(a[1]), Int(a[2])));
  OP("flip", at::flip(T(a[0]), Ints(a[1])));
  OP("cat", at::cat(Tensors(a[0]), Int(a[1])));
  OP("stack", at::stack(Tensors(a[0]), Int(a[1])));
  OP("slice", at::slice(T(a[0]), Int(a[1]), Int(a[2]), Int(a[3]), Int(a[4])));
  OP("select", at::select(T(a[0]), Int(a[1]), Int(a[2])));
  OP("indexSelect", at::index_select(T(a[0]), Int(a[1]), T(a[2])));
  OP("gather", at::gather(T(a[0]), Int(a[1]), T(a[2])));
  OP("scatter", at::scatter(T(a[0]), Int(a[1]), T(a[2]), T(a[3])));
  OP("maskedSelect", at::masked_select(T(a[0]), T(a[1])));
  OP("nonzero", at::nonzero(T(a[0])));
  OP("tril", at::tril(T(a[0]), Int(a[1])));
  OP("triu", at::triu(T(a[0]), Int(a[1])));

  // Copies, dtype and device
  OP("clone", T(a[0]).clone());
  OP("detach", T(a[0]).detach());
  OP("toDtype", T(a[0]).to(DType(a.Env(), Str(a[1]))));
  OP("toDevice", T(a[0]).to(at::Device(Str(a[1]))));
  // In-place copy without recording history: loading weights, EMA, resets.
  exports.Set("copy_", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Guard(a, [&]() -> Napi::Value {
      at::NoGradGuard g;
      T(a[0]).copy_(T(a[1]));
      return a.Env().Undefined();
    });
  }));
  // Swaps a tensor's data (a copy on another device, say) under the same handle, so that a
  // module moved to a device keeps its parameters' handles (Module.to).
  exports.Set("setData", Napi::Function::New(env, [](const CallbackInfo& a) -> Napi::Value {
    return Guard(a, [&]() -> Napi::Value {
      T(a[0]).set_data(T(a[1]));
      return a.Env().Undefined();
    });
  }));
  return exports;
}

}  // namespace

NODE_API_MODULE(imagecot_torch, Init)
