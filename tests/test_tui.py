import asyncio

from tui.app import ApplianceApp


def test_home_screen_shows_workspace_and_next_step(tmp_path):
    async def drive():
        app = ApplianceApp(tmp_path / "ws")
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one("#artifacts")
            assert table.row_count == 4
            assert "prepare a dataset" in str(app.query_one("#next").render())
            await pilot.press("v")
            await pilot.pause()
            return [str(n.message) for n in app._notifications]

    messages = asyncio.run(drive())
    assert any("audit log intact" in m for m in messages)
