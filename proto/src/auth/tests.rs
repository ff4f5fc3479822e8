//! The verifier and the per-method rules: every refusal the issue names.

use std::time::Duration;

use super::*;

fn keys() -> (Signer, Verifier) {
    let (private, public) = generate_key_pair().expect("generate");
    (
        Signer::from_pem(private.as_bytes()).expect("private key"),
        Verifier::from_pem(public.as_bytes()).expect("public key"),
    )
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_signed_token_round_trips() {
    let (signer, verifier) = keys();
    let t = signer
        .token(Role::Compute, Some("a"), Some("main"), HOUR)
        .unwrap();
    let c = verifier.verify(&t).unwrap();
    assert_eq!(c.role, Role::Compute);
    assert_eq!(c.tenant.as_deref(), Some("a"));
    assert_eq!(c.timeline.as_deref(), Some("main"));
    assert!(c.exp > now_secs());
}

#[test]
fn expired_tokens_are_refused() {
    let (signer, verifier) = keys();
    let t = signer
        .sign(&Claims {
            role: Role::Admin,
            tenant: None,
            timeline: None,
            exp: now_secs() - 60,
        })
        .unwrap();
    assert!(
        matches!(verifier.verify(&t), Err(AuthError::Unauthenticated(m)) if m.contains("xpired"))
    );
}

#[test]
fn another_keys_signature_and_garbage_are_refused() {
    let (signer, _) = keys();
    let (_, verifier) = keys();
    let t = signer.token(Role::Admin, None, None, HOUR).unwrap();
    assert!(matches!(
        verifier.verify(&t),
        Err(AuthError::Unauthenticated(_))
    ));
    assert!(matches!(
        verifier.verify("x.y.z"),
        Err(AuthError::Unauthenticated(_))
    ));
    // A token whose payload was changed (tenant b for tenant a) fails its signature.
    let (signer, verifier) = keys();
    let a = signer.token(Role::Compute, Some("a"), None, HOUR).unwrap();
    let b = signer.token(Role::Compute, Some("b"), None, HOUR).unwrap();
    let pa: Vec<&str> = a.split('.').collect();
    let pb: Vec<&str> = b.split('.').collect();
    let forged = format!("{}.{}.{}", pa[0], pb[1], pa[2]);
    assert!(verifier.verify(&forged).is_err());
}

#[test]
fn compute_tokens_need_a_tenant() {
    let (signer, verifier) = keys();
    assert!(signer.token(Role::Compute, None, None, HOUR).is_err());
    assert!(signer.token(Role::Admin, None, Some("main"), HOUR).is_err());
    let unscoped = signer
        .sign(&Claims {
            role: Role::Compute,
            tenant: None,
            timeline: None,
            exp: now_secs() + 60,
        })
        .unwrap();
    assert!(verifier.verify(&unscoped).is_err());
}

fn claims(role: Role, tenant: Option<&str>, timeline: Option<&str>) -> Claims {
    Claims {
        role,
        tenant: tenant.map(str::to_string),
        timeline: timeline.map(str::to_string),
        exp: u64::MAX,
    }
}

#[test]
fn roles_are_checked_per_method() {
    let compute = claims(Role::Compute, Some("a"), None);
    for m in [
        Method::PsGetPages,
        Method::SkAppend,
        Method::SkGreet,
        Method::SkReadWal,
    ] {
        assert_eq!(check(&compute, m, Some("a"), Some("main")), Ok(()), "{m:?}");
    }
    for m in [
        Method::PsCreateTimeline,
        Method::SkIssueGeneration,
        Method::SkPageserverFeedback,
        Method::SkListTimelines,
    ] {
        assert!(
            matches!(
                check(&compute, m, Some("a"), Some("main")),
                Err(AuthError::Denied(_))
            ),
            "{m:?}"
        );
    }
    let ps = claims(Role::Pageserver, None, None);
    assert_eq!(
        check(&ps, Method::SkIssueGeneration, Some("a"), Some("main")),
        Ok(())
    );
    assert!(check(&ps, Method::SkAppend, Some("a"), Some("main")).is_err());
    assert!(check(&ps, Method::PsGetPages, Some("a"), Some("main")).is_err());
    let sk = claims(Role::Safekeeper, None, None);
    assert_eq!(
        check(&sk, Method::SkReadWal, Some("a"), Some("main")),
        Ok(())
    );
    assert!(check(&sk, Method::SkVote, Some("a"), Some("main")).is_err());
    let admin = claims(Role::Admin, None, None);
    assert_eq!(
        check(&admin, Method::PsCreateTimeline, Some("b"), Some("x")),
        Ok(())
    );
    assert_eq!(check(&admin, Method::SkListTimelines, None, None), Ok(()));
}

#[test]
fn scopes_are_checked_per_request() {
    let a = claims(Role::Compute, Some("a"), None);
    assert!(matches!(
        check(&a, Method::PsGetPages, Some("b"), Some("main")),
        Err(AuthError::Denied(m)) if !m.contains('b')
    ));
    assert!(check(&a, Method::PsListTimelines, None, None).is_err());
    let a_main = claims(Role::Compute, Some("a"), Some("main"));
    assert_eq!(
        check(&a_main, Method::PsGetPages, Some("a"), Some("main")),
        Ok(())
    );
    assert!(check(&a_main, Method::PsGetPages, Some("a"), Some("dev")).is_err());
    let admin_a = claims(Role::Admin, Some("a"), None);
    assert!(check(&admin_a, Method::PsCreateTimeline, Some("b"), Some("x")).is_err());
}

#[test]
fn calls_without_a_good_token_are_unauthenticated() {
    let (signer, verifier) = keys();
    let req = Request::new(());
    let before = refused_count(Method::PsLeaseLsn, "unauthenticated");
    let e = authenticate(Some(&verifier), &req, Method::PsLeaseLsn).unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated);
    assert_eq!(
        refused_count(Method::PsLeaseLsn, "unauthenticated"),
        before + 1
    );
    // No verifier: everything passes.
    let open = authenticate(None, &req, Method::PsCreateTimeline).unwrap();
    assert!(
        open.permit(Method::PsCreateTimeline, Some("b"), None)
            .is_ok()
    );

    // What the client interceptor sends is what the server reads.
    let token = Token::new(&signer.token(Role::Compute, Some("a"), None, HOUR).unwrap()).unwrap();
    let req = token.bearer().call(Request::new(())).unwrap();
    let grant = authenticate(Some(&verifier), &req, Method::PsGetPages).unwrap();
    assert!(
        grant
            .permit(Method::PsGetPages, Some("a"), Some("main"))
            .is_ok()
    );
    let before = refused_count(Method::PsGetPages, "permission_denied");
    let denied = grant
        .permit(Method::PsGetPages, Some("b"), Some("main"))
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    assert_eq!(
        refused_count(Method::PsGetPages, "permission_denied"),
        before + 1
    );
    assert_eq!(format!("{token:?}"), "Token(..)");
    assert!(!token.secret().is_empty());
}

/// Rotation: a file of two keys accepts tokens of either; after the old key is removed from
/// the file and the verifier reloads, the old key's tokens are refused and the new one's
/// still accepted. A bad file on reload keeps the keys in use.
#[test]
fn keys_rotate_by_reloading_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.pem");
    let (old_private, old_public) = generate_key_pair().unwrap();
    let (new_private, new_public) = generate_key_pair().unwrap();
    let old = Signer::from_pem(old_private.as_bytes()).unwrap();
    let new = Signer::from_pem(new_private.as_bytes()).unwrap();
    let old_token = old.token(Role::Admin, None, None, HOUR).unwrap();
    let new_token = new.token(Role::Admin, None, None, HOUR).unwrap();

    std::fs::write(&path, &old_public).unwrap();
    let v = Verifier::from_file(&path).unwrap();
    assert!(v.verify(&old_token).is_ok());
    assert!(v.verify(&new_token).is_err());

    std::fs::write(&path, format!("{old_public}\n{new_public}")).unwrap();
    assert_eq!(v.reload().unwrap(), Some(2));
    let shared = v.clone();
    assert!(shared.verify(&old_token).is_ok());
    assert!(shared.verify(&new_token).is_ok());

    std::fs::write(&path, &new_public).unwrap();
    assert_eq!(v.reload().unwrap(), Some(1));
    assert!(matches!(
        shared.verify(&old_token),
        Err(AuthError::Unauthenticated(_))
    ));
    assert!(shared.verify(&new_token).is_ok());

    std::fs::write(&path, "not a key").unwrap();
    assert!(v.reload().is_err());
    assert!(
        shared.verify(&new_token).is_ok(),
        "a failed reload keeps the keys"
    );
    // An expired token of a known key is refused as expired, not tried on other keys.
    let expired = new
        .sign(&Claims {
            role: Role::Admin,
            tenant: None,
            timeline: None,
            exp: now_secs() - 60,
        })
        .unwrap();
    assert!(
        matches!(shared.verify(&expired), Err(AuthError::Unauthenticated(m)) if m.contains("xpired"))
    );
}

/// A directory of `*.pem` files holds the key set; other files are ignored.
#[test]
fn a_directory_of_pem_files_is_a_key_set() {
    let dir = tempfile::tempdir().unwrap();
    let (a_private, a_public) = generate_key_pair().unwrap();
    let (b_private, b_public) = generate_key_pair().unwrap();
    std::fs::write(dir.path().join("a.pem"), &a_public).unwrap();
    std::fs::write(dir.path().join("README"), "not a key").unwrap();
    let v = Verifier::from_file(dir.path()).unwrap();
    assert_eq!(v.key_count(), 1);
    let b = Signer::from_pem(b_private.as_bytes()).unwrap();
    let a = Signer::from_pem(a_private.as_bytes()).unwrap();
    assert!(
        v.verify(&b.token(Role::Admin, None, None, HOUR).unwrap())
            .is_err()
    );
    std::fs::write(dir.path().join("b.pem"), &b_public).unwrap();
    assert_eq!(v.reload().unwrap(), Some(2));
    assert!(
        v.verify(&a.token(Role::Admin, None, None, HOUR).unwrap())
            .is_ok()
    );
    assert!(
        v.verify(&b.token(Role::Admin, None, None, HOUR).unwrap())
            .is_ok()
    );
    let empty = tempfile::tempdir().unwrap();
    let err = Verifier::from_file(empty.path()).unwrap_err();
    assert!(err.to_string().contains("no *.pem public key"), "{err}");
}

/// A token read from a file follows the file when reloaded; clones (the interceptors of
/// open channels) see the new token.
#[test]
fn a_token_file_is_read_again_on_reload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "one\n").unwrap();
    let t = Token::from_file(&path).unwrap();
    let clone = t.clone();
    assert_eq!(clone.secret(), "one");
    assert!(!t.reload().unwrap(), "unchanged");
    std::fs::write(&path, "two").unwrap();
    assert!(t.reload().unwrap());
    assert_eq!(clone.secret(), "two");
    std::fs::write(&path, "").unwrap();
    assert!(t.reload().is_err());
    assert_eq!(clone.secret(), "two", "a failed reload keeps the token");
    assert!(
        !Token::new("x").unwrap().reload().unwrap(),
        "not from a file"
    );
}
