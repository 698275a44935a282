"""The daily purge of anti-abuse events: older than a day goes, recent stays, in every bucket."""
from datetime import timedelta

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import JobRun, ThrottleEvent
from backoffice.models.listeners import utcnow
from backoffice.services import throttle
from jobs import housekeeping, schedule


def test_purge_deletes_only_events_older_than_a_day_in_every_bucket(app):
    now = utcnow()
    for bucket, age in [("login:ghost1", timedelta(days=3)), ("login:ghost2", timedelta(hours=25)),
                        ("login:active", timedelta(minutes=5)), ("ip:1.2.3.4", timedelta(hours=23))]:
        db.session.add(ThrottleEvent(bucket=bucket, at=now - age))
    db.session.commit()

    result = housekeeping.purge_throttle_events()

    assert result["evenements_anti_abus_supprimes"] == 2
    db.session.expire_all()
    assert sorted(db.session.scalars(select(ThrottleEvent.bucket))) == ["ip:1.2.3.4", "login:active"]
    assert throttle.count(db.session, "login:active", timedelta(hours=1)) == 1
    run = db.session.scalar(select(JobRun).where(JobRun.job_name == "purge_throttle_events"))
    assert run.status == "done"
    assert housekeeping.purge_throttle_events()["evenements_anti_abus_supprimes"] == 0


def test_the_purge_is_a_scheduled_daily_job():
    assert schedule.JOBS["purge_throttle_events"] in schedule.DAILY
