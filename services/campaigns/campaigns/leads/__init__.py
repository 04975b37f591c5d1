"""The leads inbox: candidates kept by the landing service, worked by recruiters."""
