from helpers_apptest import app_test


def test_home_explains_and_links_every_page():
    at = app_test().run()
    assert not at.exception
    assert at.title[0].value == "LSTM Lab"
    assert any("<svg" in h.proto.body or "data:image/svg+xml" in h.proto.body for h in at.get("html"))
    links = [link.proto.label for link in at.get("page_link")]
    assert [link.strip("*") for link in links] == ["Lessons", "Gates", "Sample", "Train", "Sentiment", "Anatomy"]


def test_sidebar_shows_the_pretrained_model_card():
    at = app_test().run()
    assert at.sidebar.selectbox[0].label == "Active model"
    card = " ".join(m.value for m in at.sidebar.markdown)
    for fact in ("Corpus", "Architecture", "Parameters", "Validation loss", "Training steps"):
        assert fact in card
    # The box shows only the start of a long name; the card says the whole of the chosen one.
    chosen = at.sidebar.selectbox[0]
    assert f"**Name:** {chosen.format_func(chosen.value)}" in card
    from lstm_core.inference.params import total_params
    from lstm_core.storage.persistence import load_model_folder

    assert f"{total_params(load_model_folder('default').spec):,}" in card
