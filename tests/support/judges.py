"""Judges for tests that check which responses reach the judge (the cut rule)."""

from evals.judges.rules import RulesJudge


class CountingJudge(RulesJudge):
    """The rules judge, recording every response it is asked about (pointwise: pairs fall back to it)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def judge(self, requests):
        self.seen += [r.response for r in requests]
        return super().judge(requests)
