"""The embedded default: a mail worker starts and stops with the app, with no `confman worker`.

A newcomer's `confman demo` relies on it: registering must produce the e-mail without any
other process, and stopping the server must stop the worker (no task left running, nothing
sent twice when the app starts again).
"""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from confman.app import create_app
from confman.db.models import MailStatus
from confman.settings import Settings
from confman.worker import EmbeddedWorker
from tests.factories import Organiser, conference_payload, outbox, post_ok, registration_payload
from tests.mailserver import MailServer, Recorder, free_port, wait_until


def running(worker: EmbeddedWorker | None) -> bool:
    return worker is not None and worker.task is not None and not worker.task.done()


async def test_the_app_sends_its_mail_itself_and_stops_its_worker_with_it(
    settings: Settings, organiser: Organiser
) -> None:
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    embedded = settings.model_copy(
        update={"mail_worker_embedded": True, "smtp_url": server.url, "mail_poll_seconds": 0.05}
    )
    try:
        app = create_app(embedded)
        worker = app.state.mail_worker
        assert not running(worker)
        async with AsyncTestClient(app, base_url="http://testserver.local") as client:
            assert running(worker)  # started with the app
            await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
            response = await client.post(
                "/api/v1/conferences/climate-2027/registrations", json=registration_payload(email="rosa@example.org")
            )
            assert response.status_code == 202
            await wait_until(lambda: len(recorder.message_ids()) == 1, 20, "the confirmation request")
        # Shut down with the app: its task ended, none left behind.
        assert worker.task is None

        # Started again (a restart): what was sent is not sent again.
        again = create_app(embedded)
        async with AsyncTestClient(again, base_url="http://testserver.local"):
            assert running(again.state.mail_worker)
            await asyncio.sleep(0.5)
        assert again.state.mail_worker.task is None
    finally:
        server.stop()

    [mail] = await outbox(settings)
    assert mail.status is MailStatus.SENT
    assert recorder.message_ids() == [mail.message_id]


async def test_without_the_embedded_worker_nothing_is_sent(settings: Settings, organiser: Organiser) -> None:
    """Control (the tests' own default, and `confman worker` deployments): the app alone sends nothing."""
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    try:
        app = create_app(settings.model_copy(update={"smtp_url": server.url, "mail_poll_seconds": 0.05}))
        assert app.state.mail_worker is None
        async with AsyncTestClient(app, base_url="http://testserver.local") as client:
            await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
            await client.post(
                "/api/v1/conferences/climate-2027/registrations", json=registration_payload(email="rosa@example.org")
            )
            await asyncio.sleep(0.5)
    finally:
        server.stop()

    assert recorder.message_ids() == []
    assert [mail.status for mail in await outbox(settings)] == [MailStatus.PENDING]
