"""`tfkms github fix-pr|review`: deliver the fix on GitHub, as a pull request of its own or as a
review of the pull request at hand. The work lives in tfkms/github; this parses flags and prints
one line per action taken."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tfkms.commands.environment import Environment
from tfkms.commands.errors import call_service, exit_with, fail
from tfkms.commands.options import (
    ConfigOpt,
    EndpointOpt,
    ExcludeOpt,
    IgnoreRotationOpt,
    InsecureHttpOpt,
    InventoryOpt,
    LiveOpt,
    LiveTimeoutOpt,
    NoCacheOpt,
    PathsArg,
    ProfileOpt,
    ProviderVersionOpt,
    RegionOpt,
    StateOpt,
    StrategyOpt,
    fix_options,
    scan_options,
    truth_options,
)

if TYPE_CHECKING:
    from tfkms.analysis.result import Result
    from tfkms.github.outcome import Outcome

_HELP = "Deliver the fix on GitHub: a fix pull request, or a review with suggestions."
github_app = typer.Typer(
    help=_HELP, short_help=_HELP,  # whole in `tfkms --help` (click cuts a help's first line at 45 characters)
    no_args_is_help=True, add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)

RepoOpt = Annotated[str | None, typer.Option(
    "--repo", metavar="OWNER/NAME", help="Repository (default: $GITHUB_REPOSITORY).")]
ApiUrlOpt = Annotated[str | None, typer.Option(
    "--api-url", metavar="URL", help="GitHub API (default: $GITHUB_API_URL, else https://api.github.com).")]
RepoRootOpt = Annotated[Path | None, typer.Option(
    "--repo-root", metavar="DIR", help="Checkout root the repository's paths are relative to (default: .).")]
BaseOpt = Annotated[str | None, typer.Option(
    "--base", metavar="BRANCH", help="Branch the fix builds on (default: the repository's default branch).")]
BranchOpt = Annotated[str | None, typer.Option(
    "--branch", metavar="BRANCH", help="Branch of the fix (default: tfkms/fix-<scanned paths>).")]
PrOpt = Annotated[int | None, typer.Option(
    "--pr", metavar="N", help="Pull request (default: the pull_request event at $GITHUB_EVENT_PATH).")]
PlanOpt = Annotated[Path | None, typer.Option(
    "--plan", metavar="PLAN.json", help="`terraform show -json` of the PR's plan: label kms-destroy if destructive.")]


def _analyse(paths: list[Path], strategy: str | None, ignore_rotation: bool, exclude: list[str] | None,
             state: list[str] | None, inventory: Path | None, live: bool, region: list[str] | None,
             endpoint: str | None, insecure_http: bool, timeout: float | None, profile: str | None,
             provider_version: str | None, no_cache: bool, config: Path | None) -> Result:
    """`tfkms fix` without writing; input problems stop the run before GitHub is touched."""
    from tfkms.services import run_fix

    options = fix_options(strategy, ignore_rotation)
    env = Environment.detect()
    result = call_service(run_fix, scan_options(paths, exclude, provider_version, no_cache, config, env),
                          truth_options(state, inventory, live, region, endpoint, profile, env, insecure_http,
                                        timeout), options, write=False)
    for problem in result.problems[:-1]:
        typer.echo(f"tfkms: error: {problem.render()}", err=True)
    if result.problems:
        fail(f"{result.problems[-1].render()} (nothing sent to GitHub)")
    return result


def _finish(outcome: Outcome) -> None:
    for action in outcome.actions:
        typer.echo(action)
    exit_with(outcome.status)


@github_app.command("fix-pr", short_help="Commit the fix on a branch and open (or update) one pull request.")
def fix_pr(
    paths: PathsArg,
    repo: RepoOpt = None, api_url: ApiUrlOpt = None, repo_root: RepoRootOpt = None,
    base: BaseOpt = None, branch: BranchOpt = None,
    strategy: StrategyOpt = None, ignore_rotation: IgnoreRotationOpt = False,
    exclude: ExcludeOpt = None, state: StateOpt = None, inventory: InventoryOpt = None, live: LiveOpt = False,
    region: RegionOpt = None, endpoint: EndpointOpt = None, insecure_http: InsecureHttpOpt = False,
    timeout: LiveTimeoutOpt = None, profile: ProfileOpt = None, provider_version: ProviderVersionOpt = None,
    no_cache: NoCacheOpt = False, config: ConfigOpt = None,
) -> None:
    """Commit the fix on a branch and open (or update) one pull request for it."""
    from tfkms.github.client import client_from_environment, repo_from_environment
    from tfkms.github.fix_pr import FixPrOptions, deliver_fix_pr

    client = call_service(client_from_environment, api_url)
    target = call_service(repo_from_environment, repo)
    result = _analyse(paths, strategy, ignore_rotation, exclude, state, inventory, live, region, endpoint,
                      insecure_http, timeout, profile, provider_version, no_cache, config)
    options = FixPrOptions(target, repo_root or Path.cwd(), base, branch)
    _finish(call_service(deliver_fix_pr, client, result, options))


@github_app.command("review", short_help="Review a pull request: suggestions on its diff, the rest in a comment.")
def review(
    paths: PathsArg,
    repo: RepoOpt = None, pr: PrOpt = None, api_url: ApiUrlOpt = None, repo_root: RepoRootOpt = None,
    plan: PlanOpt = None,
    strategy: StrategyOpt = None, ignore_rotation: IgnoreRotationOpt = False,
    exclude: ExcludeOpt = None, state: StateOpt = None, inventory: InventoryOpt = None, live: LiveOpt = False,
    region: RegionOpt = None, endpoint: EndpointOpt = None, insecure_http: InsecureHttpOpt = False,
    timeout: LiveTimeoutOpt = None, profile: ProfileOpt = None, provider_version: ProviderVersionOpt = None,
    no_cache: NoCacheOpt = False, config: ConfigOpt = None,
) -> None:
    """Review a pull request: suggestions on its diff's lines, the rest in one upserted comment."""
    from tfkms.github.client import client_from_environment, pr_from_environment, repo_from_environment
    from tfkms.github.review import ReviewOptions, deliver_review
    from tfkms.services import run_guard
    from tfkms.status import ExitStatus

    client = call_service(client_from_environment, api_url)
    target = call_service(repo_from_environment, repo)
    number = call_service(pr_from_environment, pr)
    destructive = None
    if plan is not None:
        judged = call_service(run_guard, plan)
        if judged.exit_status() is ExitStatus.ERROR:
            fail(f"--plan {plan}: " + "; ".join(p.render() for p in judged.problems))
        destructive = judged.exit_status() is ExitStatus.ACTION_NEEDED
    result = _analyse(paths, strategy, ignore_rotation, exclude, state, inventory, live, region, endpoint,
                      insecure_http, timeout, profile, provider_version, no_cache, config)
    options = ReviewOptions(target, number, repo_root or Path.cwd(), destructive)
    _finish(call_service(deliver_review, client, result, options))
