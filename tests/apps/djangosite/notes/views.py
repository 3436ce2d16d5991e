"""Notes: a list page with reverse()-built links, a POST that redirects
(POST/redirect/GET), a detail page that 404s for unknown ids, and an upload
that reports what Django read of the request body."""
import hashlib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Note


def note_list(request):
    return render(request, "notes/list.html", {"notes": Note.objects.all()})


@require_POST
def add_note(request):
    text = request.POST.get("text", "").strip()
    if not text:
        messages.error(request, "empty note")
        return redirect("notes:list")
    note = Note.objects.create(text=text)
    messages.success(request, f"added note {note.id}")
    return redirect("notes:detail", note_id=note.id)


def note_detail(request, note_id):
    note = get_object_or_404(Note, id=note_id)
    return render(request, "notes/detail.html", {"note": note})


@csrf_exempt
@require_POST
def upload(request):
    """What Django made of the body: the CONTENT_LENGTH it was given, and the
    size and SHA-256 of request.body (which Django reads by that length)."""
    body = request.body
    text = "content_length\t%s\nbytes\t%d\nsha256\t%s\n" % (
        request.META.get("CONTENT_LENGTH", "<absent>"), len(body),
        hashlib.sha256(body).hexdigest())
    return HttpResponse(text, content_type="text/plain")
