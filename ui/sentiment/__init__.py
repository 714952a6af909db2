"""The Sentiment page's views: the classifiers, the reading word by word, training one."""
