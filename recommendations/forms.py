"""The forms of progress reporting: a focal point's update, the Secretariat's decision.

Text is taken as plain text: templates escape it and keep its line breaks (``linebreaksbr``).
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recommendations.models import AssessmentStatus, ImplementationStatus, ProgressUpdate
from recommendations.reporting import assessment_open, draft_version

TEXT_MAX = 10_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _status_field(model, label, help_text):
    return forms.ModelChoiceField(
        queryset=model.objects.all(),
        required=False,
        label=label,
        help_text=help_text,
        empty_label=_("No change proposed"),
        error_messages={
            "invalid_choice": _("“%(value)s” is not a status of the vocabulary: choose one listed.")
        },
    )


class ProgressUpdateForm(forms.ModelForm):
    """A focal point's update. ``holders``: the mandate-holders the author may report for on
    this recommendation (the view has checked there is at least one)."""

    # The draft's version when the form was opened (optimistic locking: see save_update).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProgressUpdate
        fields = [
            "mandate_holder",
            "period_start",
            "period_end",
            "action_taken",
            "impediments",
            "next_steps",
            "proposed_implementation_status",
            "proposed_assessment_status",
            "evidence",
            "may_publish",
        ]
        widgets = {"period_start": DateInput(), "period_end": DateInput()}
        help_texts = {
            "action_taken": _("What was done in the period (para. 10: action already taken)."),
            "impediments": _("What stands in the way of implementation (para. 11)."),
            "next_steps": _("What is planned next (para. 10: proposals for the next steps)."),
        }
        error_messages = {
            "mandate_holder": {
                "invalid_choice": _("You do not report for this mandate-holder on it.")
            },
        }

    def __init__(self, *args, recommendation, holders, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = draft_version(self.instance)
            self.fields["version"].required = True
        self.instance.recommendation = recommendation
        holder = self.fields["mandate_holder"]
        holder.queryset = holders
        holder.empty_label = None
        self.fields["proposed_implementation_status"] = _status_field(
            ImplementationStatus,
            _("Proposed implementation status"),
            _("The Secretariat applies it when it accepts the update."),
        )
        if assessment_open(recommendation):
            self.fields["proposed_assessment_status"] = _status_field(
                AssessmentStatus,
                _("Proposed assessment status"),
                _("The assessment of this recommendation is still open."),
            )
        else:
            del self.fields["proposed_assessment_status"]
        for name in ("action_taken", "impediments", "next_steps"):
            self.fields[name].max_length = TEXT_MAX
            self.fields[name].widget.attrs.update(rows=5, maxlength=TEXT_MAX)
        self.fields["evidence"].widget.attrs["placeholder"] = "https://… / ICC-ASP/23/20"
        for name in ("period_start", "period_end"):
            self.fields[name].error_messages["invalid"] = _(
                "Enter a date as YYYY-MM-DD, e.g. %(example)s."
            ) % {"example": timezone.localdate().isoformat()}

    def clean_evidence(self):
        return self.cleaned_data["evidence"].strip()


class ReviewForm(forms.Form):
    """The Secretariat's decision on a submitted update."""

    ACCEPT = "accept"
    ACCEPT_INTERNAL = "accept_internal"
    RETURN = "return"

    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (ACCEPT, _("Accept and publish on the recommendation's page")),
            (ACCEPT_INTERNAL, _("Accept but keep internal")),
            (RETURN, _("Return to the author with a comment")),
        ],
        error_messages={"invalid_choice": _("Choose one of the three decisions.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required to return the update: the author reads it."),
    )
    show_author = forms.BooleanField(
        label=_("Show the author's name on the public page"), required=False
    )

    def __init__(self, *args, update: ProgressUpdate, **kwargs):
        super().__init__(*args, **kwargs)
        self.update = update
        if not update.may_publish:
            self.fields["decision"].choices = [
                choice for choice in self.fields["decision"].choices if choice[0] != self.ACCEPT
            ]
            self.fields["decision"].help_text = _(
                "The author asked for this update not to be published."
            )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.RETURN and not data.get("comment", "").strip():
            self.add_error("comment", _("Say what should change: the author reads this comment."))
        return data
