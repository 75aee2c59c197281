"""Two Secretariat members saving the same recommendation from the same version at the same moment.

The probe's loser got "Server error" and lost their typing: both passed the form's version
check, and the second then failed inside its write. Here Alice's save is held open after it
wrote (uncommitted) while Bob posts; Bob must wait for her, then get the refusal page with what
he typed still in the form. Real transactions in two threads need PostgreSQL's row lock to be
observed waiting (SQLite's test database is a shared in-memory one); CI runs it on PostgreSQL.
"""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from recommendations import admin as recommendations_admin
from recommendations.models import Recommendation
from recommendations.reference import load_reference_data
from recommendations.roles import SECRETARIAT, ensure_groups
from tests.conftest import make_user
from tests.test_admin import change_url, form_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (CI runs it)"
    ),
]


@pytest.mark.parametrize(
    "bobs_field", ["public_remarks", "internal_remarks"], ids=["same field", "another field"]
)
def test_the_loser_of_two_saves_at_once_gets_the_refusal_with_his_input_kept(
    monkeypatch, bobs_field
):
    load_reference_data()
    ensure_groups()
    r14 = Recommendation.objects.get(number=14)
    alice, bob = Client(), Client()
    alice.force_login(make_user("alice", is_staff=True, groups=[SECRETARIAT]))
    bob.force_login(make_user("bob", is_staff=True, groups=[SECRETARIAT]))
    alice_form = form_data(alice.get(change_url(r14)))
    bob_form = form_data(bob.get(change_url(r14)))
    assert alice_form["version"] == bob_form["version"]
    alice_form.update(public_remarks="Alice's remark.", change_reason="Alice's reason")
    bob_form.update({bobs_field: "Bob's careful paragraph.", "change_reason": "Bob's reason"})

    written, release = threading.Event(), threading.Event()
    real = recommendations_admin.recommendation_update

    def held_open(*args, **kwargs):
        changed = real(*args, **kwargs)
        if threading.current_thread().name == "alice":
            written.set()  # written, not committed: the row is still Alice's
            assert release.wait(10)
        return changed

    monkeypatch.setattr(recommendations_admin, "recommendation_update", held_open)
    responses = {}

    def post(name, client, data):
        try:
            responses[name] = client.post(change_url(r14), data)
        except Exception as error:  # the test client re-raises what would be a 500
            responses[name] = error
        finally:
            connections.close_all()

    first = threading.Thread(target=post, args=("alice", alice, alice_form), name="alice")
    first.start()
    assert written.wait(10)
    second = threading.Thread(target=post, args=("bob", bob, bob_form), name="bob")
    second.start()
    time.sleep(0.5)
    assert second.is_alive(), "Bob's save must wait for Alice's"
    release.set()
    first.join(10)
    second.join(10)

    assert responses["alice"].status_code == 302
    bobs = responses["bob"]
    assert not isinstance(bobs, Exception), f"Bob got a server error: {bobs!r}"
    assert bobs.status_code == 200
    page = bobs.content.decode()
    assert "was changed by someone else after you opened it" in page
    assert "Bob&#x27;s careful paragraph." in page  # his typing is still in the form
    r14.refresh_from_db()
    assert r14.public_remarks == "Alice's remark."
    assert getattr(r14, bobs_field) != "Bob's careful paragraph."
    assert r14.history.filter(history_change_reason="Bob's reason").count() == 0
