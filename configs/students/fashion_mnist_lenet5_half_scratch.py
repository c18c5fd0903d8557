# Reference row of pair (a): Zero-Shot KD's LeNet-5-half trained from
# scratch on the real train split (resized to 32×32) with its teacher's
# recipe (configs/teachers/fashion_mnist_lenet5.py: 20 epochs, SGD 0.05,
# cosine, flips), validated on val; test on the official test split:
#   python tools/train.py \
#       configs/students/fashion_mnist_lenet5_half_scratch.py
#   python tools/test.py \
#       configs/students/fashion_mnist_lenet5_half_scratch.py \
#       work_dirs/students/fashion_mnist_lenet5_half_scratch/epoch_20.pth
_base_ = ['../teachers/fashion_mnist_lenet5.py']

work_dir = 'work_dirs/students/fashion_mnist_lenet5_half_scratch'
# a student: no teacher export
custom_hooks = []
model = dict(_base_.lenet5_half, _delete_=True)
