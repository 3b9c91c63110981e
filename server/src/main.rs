use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::logging::init();
    server::cli::run(server::cli::Cli::parse()).await
}
