"""The Sample page's views: the text boxes, the pretrained models' shared texts, the distributions."""
