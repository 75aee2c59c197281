"""Uploads are cut off at the import's limit while they arrive, before anything parses them.

``SizeLimitedUploadHandler`` comes first in ``FILE_UPLOAD_HANDLERS``: once a file passes
``importer.MAX_BYTES`` it is dropped (``SkipFile``): the rest of it is read from the network and
thrown away, never kept in memory or on disk, and the request records it in
``request.refused_uploads`` (field name → file name) so that the page can say so. The form
fields around it (the CSRF token among them) are still read.
"""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from recommendations.importer import MAX_BYTES


class SizeLimitedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_BYTES:
            refused = getattr(self.request, "refused_uploads", {})
            refused[self.field_name] = self.file_name
            self.request.refused_uploads = refused
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file
