// The engine benchmark's C++ baseline: the reference transformer written directly against
// libtorch, timed per training step. Build and run: bash bench/native/run-reference.sh
#include <torch/torch.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>

struct BlockImpl : torch::nn::Module {
  int64_t heads;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc{nullptr}, out{nullptr};
  BlockImpl(int64_t d, int64_t h, int64_t mlp) : heads(h) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
    proj = register_module("proj", torch::nn::Linear(d, d));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    fc = register_module("fc", torch::nn::Linear(d, mlp * d));
    out = register_module("out", torch::nn::Linear(mlp * d, d));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto B = x.size(0), T = x.size(1), D = x.size(2);
    auto q = qkv->forward(ln1->forward(x)).reshape({B, T, 3, heads, D / heads}).permute({2, 0, 3, 1, 4});
    auto att = torch::matmul(q[0], q[1].transpose(-2, -1)).mul(1.0 / std::sqrt(double(D / heads))).softmax(-1);
    auto y = torch::matmul(att, q[2]).transpose(1, 2).reshape({B, T, D});
    x = x + proj->forward(y);
    return x + out->forward(torch::gelu(fc->forward(ln2->forward(x))));
  }
};
TORCH_MODULE(Block);

int main(int argc, char** argv) {
  const int64_t B = 32, T = 80, D = 192, L = 6, H = 4, V = 1100, steps = argc > 1 ? atoi(argv[1]) : 10;
  torch::manual_seed(0);
  torch::set_num_threads(argc > 2 ? atoi(argv[2]) : 1);
  auto tok = torch::nn::Embedding(V, D), pos = torch::nn::Embedding(T, D);
  torch::nn::ModuleList blocks;
  for (int i = 0; i < L; i++) blocks->push_back(Block(D, H, 4));
  auto lnf = torch::nn::LayerNorm(torch::nn::LayerNormOptions({D}));
  auto head = torch::nn::Linear(D, V);
  std::vector<torch::Tensor> params;
  for (auto* m : std::vector<torch::nn::Module*>{tok.get(), pos.get(), blocks.get(), lnf.get(), head.get()})
    for (auto& p : m->parameters()) params.push_back(p);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(3e-4));
  auto x = torch::randint(0, V, {B, T}), y = torch::randint(0, V, {B, T});
  auto posIds = torch::arange(T);
  double total = 0;
  for (int64_t s = 0; s < steps + 2; s++) {
    auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    auto h = tok->forward(x) + pos->forward(posIds);
    for (auto& b : *blocks) h = b->as<BlockImpl>()->forward(h);
    auto logits = head->forward(lnf->forward(h));
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, V}), y.reshape({-1}));
    loss.backward();
    opt.step();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (s >= 2) total += ms;  // two warm-up steps
  }
  std::printf("{\"cpp_transformer_step_ms\": %.1f, \"steps\": %ld}\n", total / steps, (long)steps);
  return 0;
}
