//! The PostgreSQL backend on a real server started for the test.

mod common;

use common::postgres::Postgres;

#[test]
fn a_throwaway_cluster_starts_and_takes_connections() {
    let Some(pg) = Postgres::start() else { return };
    let mut client = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    let row = client.query_one("SELECT 1 + 1", &[]).unwrap();
    assert_eq!(row.get::<_, i32>(0), 2);
    pg.restart();
    let mut again = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    assert!(again.query_one("SELECT version()", &[]).is_ok());
}
