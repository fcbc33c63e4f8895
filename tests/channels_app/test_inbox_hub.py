"""The hub's pace: a process with many consoles sends each of them gathered activity less often, so the frames
it writes for other people's conversations stay within a budget whatever the number of consoles."""

from channels_app.inbox_hub import InboxHub


def test_gathered_activity_slows_down_only_when_a_process_has_many_consoles(settings):
    settings.INBOX_ACTIVITY_SECONDS = 1.0
    settings.INBOX_ACTIVITY_FRAMES_PER_SECOND = 200
    hub = InboxHub(layer=None)

    hub.consoles = {object() for _ in range(100)}
    assert hub.interval() == 1.0
    hub.consoles = {object() for _ in range(1000)}
    assert hub.interval() == 5.0  # 1,000 consoles × one frame every 5 s = 200 frames a second
