// The memory addon (nabla_memory.node): ArrayBuffers over blocks of the pool in memory.cc.
//   pooledArray(bytes) -> ArrayBuffer of `bytes` bytes, contents unspecified (the caller writes them all)
//   memoryStats() -> [hits, misses, pooled bytes, limit bytes]
//   setPoolLimit(bytes) -> undefined; 0 frees every pooled block and turns pooling off
//   version -> kVersion
// It is written against V8's API rather than N-API: N-API runs an external buffer's finalizer on a later
// turn of the event loop, so in a synchronous loop (a training loop) no block would come back until the loop
// ends, while V8 calls a backing store's deleter when it frees the store. Being built against one Node's
// headers, it loads only in that Node version; elsewhere the loader finds it missing and arrays are
// allocated as usual.
#include <node.h>
#include <v8.h>

#include <cstdint>
#include <memory>

#include "memory.h"

namespace {

constexpr int32_t kVersion = 1;

void returnBlock(void* data, size_t /*length*/, void* capacity) {
  nabla::memoryReturn(data, reinterpret_cast<size_t>(capacity));
}

bool byteCount(const v8::FunctionCallbackInfo<v8::Value>& args, const char* name, uint64_t* out) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsNumber()) {
    isolate->ThrowException(v8::Exception::TypeError(
        v8::String::NewFromUtf8(isolate, name).ToLocalChecked()));
    return false;
  }
  const double v = args[0].As<v8::Number>()->Value();
  // Below 2^53, so exactly an integer count when it is one.
  if (!(v >= 0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<uint64_t>(v))) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8(isolate, name).ToLocalChecked()));
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

void PooledArray(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  uint64_t bytes = 0;
  if (!byteCount(args, "pooledArray: expected a byte count", &bytes)) return;
  size_t capacity = 0;
  void* block = nabla::memoryTake(static_cast<size_t>(bytes), &capacity);
  if (block == nullptr) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8(isolate, "pooledArray: the system refused the memory").ToLocalChecked()));
    return;
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      block, static_cast<size_t>(bytes), returnBlock, reinterpret_cast<void*>(capacity));
  args.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

void MemoryStats(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  const nabla::MemoryStats s = nabla::memoryStats();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate, 4);
  const double values[] = {double(s.hits), double(s.misses), double(s.pooled), double(s.limit)};
  for (uint32_t i = 0; i < 4; i++) out->Set(context, i, v8::Number::New(isolate, values[i])).Check();
  args.GetReturnValue().Set(out);
}

void SetPoolLimit(const v8::FunctionCallbackInfo<v8::Value>& args) {
  uint64_t bytes = 0;
  if (!byteCount(args, "setPoolLimit: expected a byte count", &bytes)) return;
  nabla::memorySetLimit(bytes);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = context->GetIsolate();
  const struct {
    const char* name;
    v8::FunctionCallback fn;
  } functions[] = {{"pooledArray", PooledArray}, {"memoryStats", MemoryStats}, {"setPoolLimit", SetPoolLimit}};
  for (const auto& f : functions)
    exports
        ->Set(context, v8::String::NewFromUtf8(isolate, f.name).ToLocalChecked(),
              v8::FunctionTemplate::New(isolate, f.fn)->GetFunction(context).ToLocalChecked())
        .Check();
  exports->Set(context, v8::String::NewFromUtf8(isolate, "version").ToLocalChecked(), v8::Int32::New(isolate, kVersion))
      .Check();
}
