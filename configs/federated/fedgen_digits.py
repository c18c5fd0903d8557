# FedGen (and its FedAvg baseline) on the bundled digits: K = 10 clients
# with a Dirichlet(0.1) label skew over the train split. Read by
# tools/demo_fedgen.py and by the Flower apps (mmdfkd/federated/flower).
num_classes = 10
data = dict(type='digits')
model = dict(
    type='FedClassifier',
    in_channels=1,
    num_classes=num_classes,
    latent_dim=32,
    base_channels=16,
    img_size=8)
generator = dict(
    type='FeatureGenerator',
    num_classes=num_classes,
    latent_dim=32,
    noise_dim=32,
    hidden_dim=128)
# a client must hold some data: the split is re-drawn until every client
# has min_size samples (see dirichlet_partition)
partition = dict(num_clients=10, alpha=0.1, min_size=10)
rounds = 30
# each client's local step, every round, from the global weights
local = dict(steps=20, batch_size=32, lr=0.05, momentum=0.9,
             reg_batch_size=64)
# server: FedGen's generator step after each aggregation, and the
# clients' regulariser weights α_t = reg_weight · reg_decay^(t-1) (teacher
# term) and β_t = latent_weight · reg_decay^(t-1) (latent matching).
# Picked on the VAL split (mean of the final global model over seeds 0-2,
# 30 rounds), never on test: reg_weight 1 -> 98.24 %, 10 -> 98.59 %,
# 30 -> 97.00 % (without the latent term); then, with reg_weight 10,
# latent_weight 0 -> 98.41 % (this run of 0 gave 98.41 where the first
# gave 98.59: another machine), 1 -> 99.29 % (FedAvg 97.71 %).
server = dict(
    gen_steps=50,
    gen_batch_size=128,
    gen_lr=1e-3,
    diversity_weight=1.0,
    reg_weight=10.0,
    latent_weight=1.0,
    reg_decay=0.98)
# FedProx's proximal weight μ (loss + μ/2 · ‖w − w_t‖²)
fedprox = dict(mu=0.01)
seeds = [0, 1, 2]
