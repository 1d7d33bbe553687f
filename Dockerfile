# The iris service image: docker-compose.yml builds it from the repository root.
FROM python:3.11-slim

WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

COPY pyproject.toml constraints.txt README.md ./
COPY iris ./iris
RUN pip install --no-cache-dir -c constraints.txt .

COPY alembic.ini ./
COPY migrations ./migrations

RUN useradd --system --no-create-home iris
USER iris
EXPOSE 8000

# Migrations first (the advisory lock makes concurrent starts safe), then gunicorn.
CMD ["sh", "-c", "iris db upgrade && exec iris serve"]
