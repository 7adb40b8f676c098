"""Machine-learning core of the FER platform.

Pure Python + Keras 3: face detection, classifiers, preprocessing, inference, FER2013 data,
training, evaluation and benchmarks. Nothing here imports Django, so the same code runs in the
web process, in Celery workers and on a GPU machine with the JAX backend.
"""
