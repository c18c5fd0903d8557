# Reference row of pair (b): the student (ConvNet 16, 32, 64) trained from
# scratch on the real train split with its teacher's recipe
# (configs/teachers/fashion_mnist_convnet.py: 15 epochs, SGD 0.05 Nesterov,
# shifts and flips), validated on val; test on the official test split:
#   python tools/train.py configs/students/fashion_mnist_convnet_scratch.py
#   python tools/test.py configs/students/fashion_mnist_convnet_scratch.py \
#       work_dirs/students/fashion_mnist_convnet_scratch/epoch_15.pth
_base_ = ['../teachers/fashion_mnist_convnet.py']

work_dir = 'work_dirs/students/fashion_mnist_convnet_scratch'
# a student: no teacher export
custom_hooks = []
model = dict(_base_.student, _delete_=True)
