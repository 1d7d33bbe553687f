# The iris service image: docker-compose.yml builds it from the repository root.
# Pinned to an exact Python release on Debian 12; bump it deliberately (and rebuild) for security updates.
FROM python:3.11.14-slim-bookworm

WORKDIR /app
# SETUPTOOLS_USE_DISTUTILS=stdlib: hug imports distutils, and setuptools' stand-in for it would load all of
# setuptools and pkg_resources (11 MB a worker); the standard library's has what hug uses.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    SETUPTOOLS_USE_DISTUTILS=stdlib

# 1. Dependencies, in their own layer: it is rebuilt only when pyproject.toml or constraints.txt change.
#    Only [project].dependencies: no extras, so neither the embedded PostgreSQL (pgserver) nor the test tools.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c constraints.txt \
    && rm /tmp/requirements.txt

# 2. The code, and iris itself on top of the dependencies above.
COPY README.md alembic.ini ./
COPY migrations ./migrations
COPY iris ./iris
RUN pip install --no-deps .

RUN useradd --system --no-create-home iris
USER iris
EXPOSE 8000

# Migrations first (the advisory lock makes concurrent starts safe), then gunicorn. `exec` makes iris PID 1, so
# `docker-compose stop` reaches gunicorn, which finishes its requests (see stop_grace_period in docker-compose.yml).
CMD ["sh", "-c", "iris db upgrade && exec iris serve"]
