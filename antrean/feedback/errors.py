"""Why a satisfaction survey answer was refused.

They are `BookingError`s, so the conversation words them like any refusal: `reason` is the
key of the applicant-facing text in `antrean/content/messages.toml` (`survey.*`), `details`
fill it in. Plain Python, no Django.
"""

from antrean.booking.errors import BookingError


class SurveyError(BookingError):
    reason = "survey.refused"


class NotYourBooking(SurveyError):
    reason = "survey.not_yours"  # code: only the number that booked may answer


class NotServed(SurveyError):
    reason = "survey.not_served"  # code, status: asked only after being served


class InvalidScores(SurveyError):
    reason = "survey.invalid_scores"  # count, expected: nine answers, each 1 to 4


class CommentTooLong(SurveyError):
    reason = "survey.comment_too_long"  # length, maximum
