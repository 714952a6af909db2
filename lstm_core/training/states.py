"""The states of a training job, the same for every kind of run (lstm_core.training.job).

new (made, not started, or refused) → queued → preparing (starting TensorFlow, building the model) → running (→ stopping, once asked)
→ finished, stopped, diverged or failed. The trainers' own results use the same words.
"""

NEW = "new"
QUEUED, PREPARING, RUNNING, STOPPING = "queued", "preparing", "running", "stopping"
FINISHED, STOPPED, DIVERGED, FAILED = "finished", "stopped", "diverged", "failed"
ACTIVE = (QUEUED, PREPARING, RUNNING, STOPPING)
ENDED = (FINISHED, STOPPED, DIVERGED, FAILED)
