"""The browser UI: the pages' one HTML shell, the static files under /static, their CSP."""
