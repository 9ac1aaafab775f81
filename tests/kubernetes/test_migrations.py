"""Migrations run once per release in their Job; the app's pods only wait for them."""

from conftest import assert_no_problems
from manifests import (
    command_line,
    container,
    find,
    name_of,
    named_from,
    pod_template,
    workloads,
)
from rules import (
    APP_CONTAINER,
    DEPLOYMENT,
    MIGRATION_COMMANDS,
    MIGRATION_JOB_PREFIX,
    MIGRATION_WAIT_COMMAND,
)

ONE_SHOT_KINDS = ("Job", "CronJob")


def migrates(pod_container):
    return bool(set(command_line(pod_container)) & set(MIGRATION_COMMANDS))


def test_no_long_running_pod_migrates(overlay, documents):
    problems = [
        f"{name_of(workload)} container {pod_container['name']} runs {command_line(pod_container)}"
        for workload in workloads(documents)
        if workload["kind"] not in ONE_SHOT_KINDS
        for key in ("initContainers", "containers")
        for pod_container in pod_template(workload)["spec"].get(key, [])
        if migrates(pod_container)
    ]
    assert_no_problems(overlay, problems)


def test_one_job_migrates(overlay, documents):
    jobs = named_from(documents, "Job", MIGRATION_JOB_PREFIX)
    assert len(jobs) == 1, f"overlays/{overlay}: {len(jobs)} Jobs named {MIGRATION_JOB_PREFIX}*"
    job_containers = pod_template(jobs[0])["spec"]["containers"]
    assert any(migrates(job_container) for job_container in job_containers), (
        f"overlays/{overlay}: {name_of(jobs[0])} runs no {' or '.join(MIGRATION_COMMANDS)}"
    )


def test_app_pods_wait_for_the_migrations(overlay, documents):
    pod = pod_template(find(documents, "Deployment", DEPLOYMENT))["spec"]
    image = container(pod, APP_CONTAINER)["image"]
    waits = [
        init
        for init in pod.get("initContainers", [])
        if init["image"] == image and MIGRATION_WAIT_COMMAND in command_line(init)
    ]
    assert waits, (
        f"overlays/{overlay}: no init container of the app's image runs "
        f"{MIGRATION_WAIT_COMMAND} before the app starts"
    )
