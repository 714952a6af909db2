"""Sentiment: a word-level many-to-one classifier (read a review, say whether it is positive).

- `data`     the labelled snippets of Hutto & Gilbert (2014) and the user's own CSV, binarised and split
- `tokens`   the word tokenizer (NLTK, no download) and the word vocabulary (padding and unknown ids)
- `model`    the Keras classifier: Embedding -> LSTM / GRU / SimpleRNN / stacked / bidirectional -> sigmoid
- `training` training it one step at a time (so a page can watch and stop it), evaluation per domain
- `scoring`  scoring in NumPy through the engine: verdict, word-by-word trajectory, word importance
- `baseline` VADER's lexicon score, the baseline the classifier is compared with
- `store`    sentiment model folders (model.keras, vocab.json, meta.json) and their zip form
- `opened`   a word-level classifier trained elsewhere in Keras, opened from its .keras file and vocabulary
- `keras_words` that classifier's vocabulary forms, and a review split and looked up as its pipeline did
- `framing`  padding and cutting a review's ids to maxlen, as Keras' pad_sequences does
- `meta`     what a classifier's meta.json says, as a typed record

Nothing here imports Streamlit; TensorFlow is imported only by `model` and `training`, lazily.
"""
