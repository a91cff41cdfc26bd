// `sqlx::migrate!` embeds the migration files at compile time; without this a new migration is
// left out of an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
