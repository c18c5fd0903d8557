# FedGen, FedAvg and FedProx on Fashion-MNIST: K = 20 clients with a
# Dirichlet(alpha) label skew over the 55,000-image train split (the fixed
# 5,000-image val split selects hyper-parameters; test is reported only).
# Read by tools/fed_benchmark.py (alpha in {0.05, 0.1, 1.0}, seeds 0-2),
# tools/demo_fedgen.py (alpha = 0.1) and the Flower apps.
_base_ = ['./fedgen_digits.py']
data = dict(type='fashion_mnist', root='data/fashion_mnist')
model = dict(img_size=28, stem_stride=2)
generator = dict(hidden_dim=256)
partition = dict(num_clients=20, alpha=0.1, min_size=10)
rounds = 100
local = dict(steps=20, batch_size=32, lr=0.05, momentum=0.9,
             reg_batch_size=32)
server = dict(reg_weight=10.0, latent_weight=10.0)
fedprox = dict(mu=0.01)
