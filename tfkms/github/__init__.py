"""Delivering fixes on GitHub: a fix pull request (git data API) and a pull request review with
suggestions GitHub can apply. Computes and calls the API; never prints (the command does)."""
