FROM python:3.11-slim
WORKDIR /app
ENV HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 BOT_HOST=0.0.0.0
# torch first, pinned to the CPU build, so nothing later pulls CUDA packages.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir '.[postgres]'
COPY seeds ./seeds
RUN citebot ingest seeds/
EXPOSE 8000
CMD ["citebot", "serve"]
