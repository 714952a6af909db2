"""The class a teacher leads (lstm_core.storage.classroom): the teacher's controls and Class page, a
student's joining, following and pausing."""
