//! The procedure catalogue of generated data: fifty real administrative procedures of the
//! commune, district and province levels, with their field, processing time, fee, online service
//! and dossier components, as the one-stop desks of a province publish them. The codes given to
//! them (`1.001000` onwards, plus the applying province) are in the national format but are not
//! their national numbers.
//!
//! `motcua bench seed` uses the first [`BENCH_PROCEDURES`] in every unit, without components
//! (the benchmark's figures were measured so, and its load driver submits without files);
//! `motcua seed demo` the whole list, each where it is decided.

use crate::domain::calendar::TimeUnit;

/// Where a procedure is decided, and so which units of a named province apply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Every commune's People's Committee.
    Commune,
    /// Every district's People's Committee (its specialised offices).
    District,
    /// The province's department whose unit code has this level-2 group (`000.00.NN.H30`).
    Department(&'static str),
}

impl Applied {
    /// The procedure's level in the catalogue.
    pub fn level(self) -> &'static str {
        match self {
            Applied::Commune => "commune",
            Applied::District => "district",
            Applied::Department(_) => "province",
        }
    }
}

/// One procedure of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub field: &'static str,
    pub applied: Applied,
    pub amount: u32,
    pub unit: TimeUnit,
    /// The fee item's name and amount in VND (0: free of charge).
    pub fee: (&'static str, i64),
    /// `full`, `partial` or `none`.
    pub online: &'static str,
    pub legal_basis: &'static str,
    /// The dossier's components: mandatory but for those marked "(nếu có)", each accepting a
    /// digitized copy from the applicant's document store.
    pub components: &'static [&'static str],
}

/// How many of the catalogue's procedures the benchmark's provinces apply.
pub const BENCH_PROCEDURES: usize = 24;

const HO_TICH: &str = "Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP";
const CHUNG_THUC: &str = "Nghị định 23/2015/NĐ-CP về chứng thực";
const DAT_DAI: &str = "Luật Đất đai 2024; Nghị định 101/2024/NĐ-CP";
const XAY_DUNG: &str = "Luật Xây dựng 2014, sửa đổi 2020; Nghị định 15/2021/NĐ-CP";
const DOANH_NGHIEP: &str = "Luật Doanh nghiệp 2020; Nghị định 01/2021/NĐ-CP";
const CU_TRU: &str = "Luật Cư trú 2020; Nghị định 62/2021/NĐ-CP";
const BAO_TRO: &str = "Nghị định 20/2021/NĐ-CP về chính sách trợ giúp xã hội";
const THUONG_MAI: &str = "Luật Thương mại 2005 và các nghị định hướng dẫn";
const DUONG_BO: &str = "Luật Trật tự, an toàn giao thông đường bộ 2024";
const Y_TE: &str = "Luật Dược 2016; Luật Khám bệnh, chữa bệnh 2023";
const MOI_TRUONG: &str = "Luật Bảo vệ môi trường 2020; Nghị định 08/2022/NĐ-CP";

#[allow(clippy::too_many_arguments)]
const fn entry(
    name: &'static str,
    field: &'static str,
    applied: Applied,
    (amount, unit): (u32, TimeUnit),
    fee: (&'static str, i64),
    online: &'static str,
    legal_basis: &'static str,
    components: &'static [&'static str],
) -> Entry {
    Entry {
        name,
        field,
        applied,
        amount,
        unit,
        fee,
        online,
        legal_basis,
        components,
    }
}

const fn days(n: u32) -> (u32, TimeUnit) {
    (n, TimeUnit::WorkingDays)
}

use Applied::{Commune, Department, District};

/// The departments of a province that apply procedures, by their unit code's level-2 group.
pub const TU_PHAP: &str = "01";
pub const Y_TE_DEPT: &str = "02";
pub const CONG_THUONG: &str = "03";
pub const GIAO_THONG: &str = "04";
pub const KE_HOACH: &str = "05";
pub const TAI_NGUYEN: &str = "06";
pub const LAO_DONG: &str = "07";

/// The catalogue; the benchmark's [`BENCH_PROCEDURES`] first.
pub const CATALOGUE: &[Entry] = &[
    entry(
        "Đăng ký khai sinh",
        "Hộ tịch",
        Commune,
        days(3),
        ("Lệ phí đăng ký hộ tịch", 8_000),
        "full",
        HO_TICH,
        &[
            "Tờ khai đăng ký khai sinh",
            "Giấy chứng sinh",
            "Giấy tờ tùy thân của người đi đăng ký",
        ],
    ),
    entry(
        "Đăng ký kết hôn",
        "Hộ tịch",
        Commune,
        days(5),
        ("Lệ phí đăng ký hộ tịch", 30_000),
        "partial",
        HO_TICH,
        &[
            "Tờ khai đăng ký kết hôn",
            "Giấy xác nhận tình trạng hôn nhân",
            "Giấy tờ tùy thân của hai bên nam, nữ",
        ],
    ),
    entry(
        "Đăng ký khai tử",
        "Hộ tịch",
        Commune,
        days(3),
        ("Lệ phí đăng ký hộ tịch", 0),
        "full",
        HO_TICH,
        &[
            "Tờ khai đăng ký khai tử",
            "Giấy báo tử hoặc giấy tờ thay thế giấy báo tử",
        ],
    ),
    entry(
        "Cấp bản sao trích lục hộ tịch",
        "Hộ tịch",
        Commune,
        days(1),
        ("Phí cấp bản sao trích lục", 8_000),
        "full",
        HO_TICH,
        &["Tờ khai cấp bản sao trích lục hộ tịch", "Giấy tờ tùy thân"],
    ),
    entry(
        "Xác nhận tình trạng hôn nhân",
        "Hộ tịch",
        Commune,
        days(3),
        ("Lệ phí đăng ký hộ tịch", 15_000),
        "full",
        HO_TICH,
        &[
            "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
            "Giấy tờ tùy thân",
        ],
    ),
    entry(
        "Chứng thực bản sao từ bản chính",
        "Chứng thực",
        Commune,
        (4, TimeUnit::WorkingHours),
        ("Phí chứng thực", 2_000),
        "partial",
        CHUNG_THUC,
        &["Bản chính giấy tờ, văn bản", "Bản sao cần chứng thực"],
    ),
    entry(
        "Chứng thực chữ ký",
        "Chứng thực",
        Commune,
        (8, TimeUnit::WorkingHours),
        ("Phí chứng thực", 10_000),
        "partial",
        CHUNG_THUC,
        &[
            "Giấy tờ, văn bản cần chứng thực chữ ký",
            "Giấy tờ tùy thân của người yêu cầu",
        ],
    ),
    entry(
        "Chứng thực hợp đồng, giao dịch",
        "Chứng thực",
        Commune,
        days(2),
        ("Phí chứng thực", 50_000),
        "none",
        CHUNG_THUC,
        &[
            "Dự thảo hợp đồng, giao dịch",
            "Giấy tờ tùy thân của người yêu cầu",
            "Giấy chứng nhận quyền sở hữu, quyền sử dụng tài sản",
        ],
    ),
    entry(
        "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
        "Đất đai",
        District,
        days(30),
        ("Lệ phí cấp giấy chứng nhận", 100_000),
        "partial",
        DAT_DAI,
        &[
            "Đơn đăng ký đất đai, tài sản gắn liền với đất",
            "Giấy tờ về quyền sử dụng đất",
            "Sơ đồ, trích đo thửa đất",
        ],
    ),
    entry(
        "Đăng ký biến động quyền sử dụng đất",
        "Đất đai",
        District,
        days(10),
        ("Lệ phí cấp giấy chứng nhận", 50_000),
        "partial",
        DAT_DAI,
        &[
            "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất",
            "Bản gốc Giấy chứng nhận đã cấp",
            "Hợp đồng chuyển nhượng, tặng cho đã công chứng",
        ],
    ),
    entry(
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Xây dựng",
        District,
        days(15),
        ("Lệ phí cấp giấy phép xây dựng", 75_000),
        "full",
        XAY_DUNG,
        &[
            "Đơn đề nghị cấp giấy phép xây dựng",
            "Giấy tờ chứng minh quyền sử dụng đất",
            "Bản vẽ thiết kế xây dựng",
        ],
    ),
    entry(
        "Đăng ký thành lập hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
        District,
        days(3),
        ("Lệ phí đăng ký hộ kinh doanh", 100_000),
        "full",
        DOANH_NGHIEP,
        &[
            "Giấy đề nghị đăng ký hộ kinh doanh",
            "Bản sao giấy tờ pháp lý của chủ hộ kinh doanh",
        ],
    ),
    entry(
        "Đăng ký thay đổi nội dung hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
        District,
        days(3),
        ("Lệ phí đăng ký hộ kinh doanh", 50_000),
        "full",
        DOANH_NGHIEP,
        &[
            "Thông báo thay đổi nội dung đăng ký hộ kinh doanh",
            "Bản gốc Giấy chứng nhận đăng ký hộ kinh doanh",
        ],
    ),
    entry(
        "Cấp giấy phép bán lẻ rượu",
        "Lưu thông hàng hóa trong nước",
        District,
        days(10),
        ("Phí thẩm định cấp giấy phép", 1_200_000),
        "full",
        THUONG_MAI,
        &[
            "Đơn đề nghị cấp Giấy phép bán lẻ rượu",
            "Bản sao Giấy chứng nhận đăng ký doanh nghiệp hoặc hộ kinh doanh",
            "Giấy tờ về địa điểm kinh doanh",
        ],
    ),
    entry(
        "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        "An toàn thực phẩm",
        Department(Y_TE_DEPT),
        days(20),
        ("Phí thẩm định điều kiện an toàn thực phẩm", 500_000),
        "partial",
        "Luật An toàn thực phẩm 2010; Nghị định 15/2018/NĐ-CP",
        &[
            "Đơn đề nghị cấp Giấy chứng nhận",
            "Bản thuyết minh về cơ sở vật chất, trang thiết bị",
            "Giấy xác nhận đủ sức khỏe của chủ cơ sở và người trực tiếp sản xuất",
        ],
    ),
    entry(
        "Đăng ký thường trú",
        "Đăng ký, quản lý cư trú",
        Commune,
        days(7),
        ("Lệ phí đăng ký cư trú", 20_000),
        "full",
        CU_TRU,
        &[
            "Tờ khai thay đổi thông tin cư trú",
            "Giấy tờ chứng minh chỗ ở hợp pháp",
        ],
    ),
    entry(
        "Trợ cấp xã hội hằng tháng",
        "Bảo trợ xã hội",
        Commune,
        days(20),
        ("Không thu phí", 0),
        "partial",
        BAO_TRO,
        &[
            "Tờ khai đề nghị trợ giúp xã hội",
            "Bản sao giấy xác nhận khuyết tật (nếu có)",
        ],
    ),
    entry(
        "Hỗ trợ chi phí mai táng",
        "Bảo trợ xã hội",
        Commune,
        days(10),
        ("Không thu phí", 0),
        "partial",
        BAO_TRO,
        &[
            "Tờ khai đề nghị hỗ trợ chi phí mai táng",
            "Bản sao giấy chứng tử",
        ],
    ),
    entry(
        "Cấp phiếu lý lịch tư pháp",
        "Lý lịch tư pháp",
        Department(TU_PHAP),
        days(10),
        ("Phí cung cấp thông tin lý lịch tư pháp", 200_000),
        "full",
        "Luật Lý lịch tư pháp 2009; Thông tư 244/2016/TT-BTC",
        &[
            "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
            "Bản chụp giấy tờ tùy thân",
            "Bản chụp giấy tờ chứng minh nơi thường trú",
        ],
    ),
    entry(
        "Đăng ký kế hoạch bảo vệ môi trường",
        "Môi trường",
        District,
        (10, TimeUnit::CalendarDays),
        ("Không thu phí", 0),
        "full",
        MOI_TRUONG,
        &[
            "Văn bản đăng ký kế hoạch bảo vệ môi trường",
            "Kế hoạch bảo vệ môi trường",
        ],
    ),
    entry(
        "Cấp chứng chỉ hành nghề dược",
        "Dược phẩm",
        Department(Y_TE_DEPT),
        days(20),
        ("Phí thẩm định cấp chứng chỉ hành nghề", 500_000),
        "partial",
        Y_TE,
        &[
            "Đơn đề nghị cấp Chứng chỉ hành nghề dược",
            "Bản sao văn bằng chuyên môn",
            "Giấy xác nhận thời gian thực hành chuyên môn",
            "Giấy chứng nhận đủ sức khỏe",
        ],
    ),
    entry(
        "Chuyển trường cho học sinh trung học cơ sở",
        "Giáo dục và Đào tạo",
        District,
        days(3),
        ("Không thu phí", 0),
        "full",
        "Thông tư 50/2021/TT-BGDĐT",
        &[
            "Đơn xin chuyển trường",
            "Học bạ",
            "Giấy giới thiệu chuyển trường",
        ],
    ),
    entry(
        "Cấp giấy phép lái xe (đổi)",
        "Đường bộ",
        Department(GIAO_THONG),
        days(5),
        ("Lệ phí cấp giấy phép lái xe", 135_000),
        "full",
        DUONG_BO,
        &[
            "Đơn đề nghị đổi giấy phép lái xe",
            "Giấy khám sức khỏe của người lái xe",
            "Bản sao giấy phép lái xe",
        ],
    ),
    entry(
        "Đăng ký khuyến mại",
        "Xúc tiến thương mại",
        Department(CONG_THUONG),
        days(5),
        ("Không thu phí", 0),
        "full",
        "Nghị định 81/2018/NĐ-CP về hoạt động xúc tiến thương mại",
        &[
            "Văn bản đăng ký thực hiện khuyến mại",
            "Thể lệ chương trình khuyến mại",
        ],
    ),
    // The demo province's procedures beyond the benchmark's.
    entry(
        "Đăng ký giám hộ",
        "Hộ tịch",
        Commune,
        days(3),
        ("Lệ phí đăng ký hộ tịch", 5_000),
        "partial",
        HO_TICH,
        &["Tờ khai đăng ký giám hộ", "Văn bản cử người giám hộ"],
    ),
    entry(
        "Đăng ký nhận cha, mẹ, con",
        "Hộ tịch",
        Commune,
        days(3),
        ("Lệ phí đăng ký hộ tịch", 15_000),
        "partial",
        HO_TICH,
        &[
            "Tờ khai đăng ký nhận cha, mẹ, con",
            "Chứng cứ chứng minh quan hệ cha, mẹ, con",
        ],
    ),
    entry(
        "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Hộ tịch",
        Commune,
        days(3),
        ("Lệ phí đăng ký hộ tịch", 15_000),
        "full",
        HO_TICH,
        &[
            "Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
            "Giấy tờ làm căn cứ thay đổi, cải chính",
        ],
    ),
    entry(
        "Đăng ký khai sinh có yếu tố nước ngoài",
        "Hộ tịch",
        District,
        days(15),
        ("Lệ phí đăng ký hộ tịch", 75_000),
        "partial",
        HO_TICH,
        &[
            "Tờ khai đăng ký khai sinh",
            "Giấy chứng sinh",
            "Văn bản thỏa thuận của cha, mẹ về việc chọn quốc tịch",
        ],
    ),
    entry(
        "Đăng ký kết hôn có yếu tố nước ngoài",
        "Hộ tịch",
        District,
        days(15),
        ("Lệ phí đăng ký hộ tịch", 1_000_000),
        "partial",
        HO_TICH,
        &[
            "Tờ khai đăng ký kết hôn",
            "Giấy xác nhận tình trạng hôn nhân",
            "Giấy xác nhận của tổ chức y tế về sức khỏe tâm thần",
        ],
    ),
    entry(
        "Chứng thực di chúc",
        "Chứng thực",
        Commune,
        days(2),
        ("Phí chứng thực", 50_000),
        "none",
        CHUNG_THUC,
        &[
            "Dự thảo di chúc",
            "Giấy tờ tùy thân của người lập di chúc",
            "Giấy tờ chứng minh quyền sở hữu, quyền sử dụng tài sản",
        ],
    ),
    entry(
        "Đăng ký tạm trú",
        "Đăng ký, quản lý cư trú",
        Commune,
        days(3),
        ("Lệ phí đăng ký cư trú", 15_000),
        "full",
        CU_TRU,
        &[
            "Tờ khai thay đổi thông tin cư trú",
            "Giấy tờ chứng minh chỗ ở hợp pháp",
        ],
    ),
    entry(
        "Xác nhận thông tin về cư trú",
        "Đăng ký, quản lý cư trú",
        Commune,
        days(1),
        ("Không thu phí", 0),
        "full",
        CU_TRU,
        &["Tờ khai thay đổi thông tin cư trú"],
    ),
    entry(
        "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",
        "Giảm nghèo",
        Commune,
        days(7),
        ("Không thu phí", 0),
        "partial",
        "Nghị định 07/2021/NĐ-CP; Quyết định 24/2021/QĐ-TTg",
        &["Giấy đề nghị xét duyệt hộ nghèo, hộ cận nghèo"],
    ),
    entry(
        "Hòa giải tranh chấp đất đai",
        "Đất đai",
        Commune,
        (45, TimeUnit::CalendarDays),
        ("Không thu phí", 0),
        "none",
        DAT_DAI,
        &[
            "Đơn đề nghị hòa giải tranh chấp đất đai",
            "Giấy tờ liên quan đến thửa đất tranh chấp",
        ],
    ),
    entry(
        "Chuyển mục đích sử dụng đất của hộ gia đình, cá nhân",
        "Đất đai",
        District,
        days(15),
        ("Lệ phí cấp giấy chứng nhận", 50_000),
        "partial",
        DAT_DAI,
        &[
            "Đơn xin chuyển mục đích sử dụng đất",
            "Bản gốc Giấy chứng nhận quyền sử dụng đất",
        ],
    ),
    entry(
        "Đính chính giấy chứng nhận quyền sử dụng đất đã cấp",
        "Đất đai",
        District,
        days(10),
        ("Không thu phí", 0),
        "partial",
        DAT_DAI,
        &[
            "Đơn đề nghị đính chính Giấy chứng nhận",
            "Bản gốc Giấy chứng nhận đã cấp",
        ],
    ),
    entry(
        "Cấp giấy phép sửa chữa, cải tạo nhà ở riêng lẻ",
        "Xây dựng",
        District,
        days(15),
        ("Lệ phí cấp giấy phép xây dựng", 75_000),
        "full",
        XAY_DUNG,
        &[
            "Đơn đề nghị cấp giấy phép sửa chữa, cải tạo",
            "Giấy tờ chứng minh quyền sử dụng đất",
            "Ảnh chụp và bản vẽ hiện trạng công trình",
        ],
    ),
    entry(
        "Tạm ngừng kinh doanh của hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
        District,
        days(3),
        ("Không thu phí", 0),
        "full",
        DOANH_NGHIEP,
        &["Thông báo tạm ngừng kinh doanh"],
    ),
    entry(
        "Cấp giấy phép bán lẻ sản phẩm thuốc lá",
        "Lưu thông hàng hóa trong nước",
        District,
        days(15),
        ("Phí thẩm định cấp giấy phép", 600_000),
        "full",
        THUONG_MAI,
        &[
            "Đơn đề nghị cấp Giấy phép bán lẻ sản phẩm thuốc lá",
            "Bản sao Giấy chứng nhận đăng ký doanh nghiệp hoặc hộ kinh doanh",
        ],
    ),
    entry(
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "Thành lập và hoạt động của doanh nghiệp",
        Department(KE_HOACH),
        days(3),
        ("Lệ phí đăng ký doanh nghiệp", 50_000),
        "full",
        DOANH_NGHIEP,
        &[
            "Giấy đề nghị đăng ký doanh nghiệp",
            "Bản sao giấy tờ pháp lý của chủ doanh nghiệp",
        ],
    ),
    entry(
        "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
        "Thành lập và hoạt động của doanh nghiệp",
        Department(KE_HOACH),
        days(3),
        ("Lệ phí đăng ký doanh nghiệp", 50_000),
        "full",
        DOANH_NGHIEP,
        &[
            "Giấy đề nghị đăng ký doanh nghiệp",
            "Điều lệ công ty",
            "Bản sao giấy tờ pháp lý của chủ sở hữu",
        ],
    ),
    entry(
        "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
        "Thành lập và hoạt động của doanh nghiệp",
        Department(KE_HOACH),
        days(3),
        ("Lệ phí đăng ký doanh nghiệp", 50_000),
        "full",
        DOANH_NGHIEP,
        &[
            "Thông báo thay đổi nội dung đăng ký doanh nghiệp",
            "Nghị quyết, quyết định về việc thay đổi",
        ],
    ),
    entry(
        "Cấp giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu",
        "Kinh doanh khí và xăng dầu",
        Department(CONG_THUONG),
        days(20),
        ("Phí thẩm định điều kiện kinh doanh", 1_200_000),
        "partial",
        "Nghị định 83/2014/NĐ-CP về kinh doanh xăng dầu",
        &[
            "Đơn đề nghị cấp Giấy chứng nhận",
            "Bản sao Giấy chứng nhận đăng ký doanh nghiệp",
            "Tài liệu chứng minh cửa hàng đạt yêu cầu",
        ],
    ),
    entry(
        "Cấp lại giấy phép lái xe",
        "Đường bộ",
        Department(GIAO_THONG),
        days(10),
        ("Lệ phí cấp giấy phép lái xe", 135_000),
        "full",
        DUONG_BO,
        &[
            "Đơn đề nghị cấp lại giấy phép lái xe",
            "Giấy khám sức khỏe của người lái xe",
        ],
    ),
    entry(
        "Cấp giấy phép kinh doanh vận tải bằng xe ô tô",
        "Đường bộ",
        Department(GIAO_THONG),
        days(5),
        ("Lệ phí cấp giấy phép kinh doanh", 200_000),
        "full",
        DUONG_BO,
        &[
            "Giấy đề nghị cấp giấy phép kinh doanh vận tải",
            "Phương án kinh doanh vận tải",
        ],
    ),
    entry(
        "Cấp giấy phép hành nghề khám bệnh, chữa bệnh",
        "Khám bệnh, chữa bệnh",
        Department(Y_TE_DEPT),
        days(20),
        ("Phí thẩm định cấp giấy phép hành nghề", 360_000),
        "partial",
        Y_TE,
        &[
            "Đơn đề nghị cấp giấy phép hành nghề",
            "Bản sao văn bằng chuyên môn",
            "Giấy xác nhận hoàn thành thực hành",
        ],
    ),
    entry(
        "Cấp giấy phép khai thác nước dưới đất",
        "Tài nguyên nước",
        Department(TAI_NGUYEN),
        days(30),
        ("Phí thẩm định hồ sơ cấp phép", 500_000),
        "partial",
        "Luật Tài nguyên nước 2023; Nghị định 54/2024/NĐ-CP",
        &[
            "Đơn đề nghị cấp giấy phép",
            "Báo cáo kết quả thăm dò nước dưới đất",
            "Kết quả phân tích chất lượng nguồn nước",
        ],
    ),
    entry(
        "Cấp giấy phép môi trường",
        "Môi trường",
        Department(TAI_NGUYEN),
        days(30),
        ("Phí thẩm định cấp giấy phép môi trường", 1_500_000),
        "partial",
        MOI_TRUONG,
        &[
            "Văn bản đề nghị cấp giấy phép môi trường",
            "Báo cáo đề xuất cấp giấy phép môi trường",
        ],
    ),
    entry(
        "Cấp giấy phép lao động cho người lao động nước ngoài",
        "Việc làm",
        Department(LAO_DONG),
        days(5),
        ("Lệ phí cấp giấy phép lao động", 600_000),
        "full",
        "Bộ luật Lao động 2019; Nghị định 152/2020/NĐ-CP",
        &[
            "Văn bản đề nghị cấp giấy phép lao động",
            "Giấy chứng nhận sức khỏe",
            "Văn bản chứng minh là nhà quản lý, chuyên gia hoặc lao động kỹ thuật",
        ],
    ),
    entry(
        "Giải quyết hưởng trợ cấp thất nghiệp",
        "Việc làm",
        Department(LAO_DONG),
        days(20),
        ("Không thu phí", 0),
        "partial",
        "Luật Việc làm 2013; Nghị định 28/2015/NĐ-CP",
        &[
            "Đề nghị hưởng trợ cấp thất nghiệp",
            "Bản sao hợp đồng lao động đã chấm dứt",
            "Sổ bảo hiểm xã hội",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_holds_fifty_distinct_procedures_with_their_components() {
        assert_eq!(CATALOGUE.len(), 50);
        let names: std::collections::BTreeSet<&str> = CATALOGUE.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), CATALOGUE.len());
        assert!(CATALOGUE.iter().all(|e| !e.components.is_empty()));
        for level in [Commune, District] {
            assert!(CATALOGUE.iter().any(|e| e.applied == level));
        }
        for department in [
            TU_PHAP,
            Y_TE_DEPT,
            CONG_THUONG,
            GIAO_THONG,
            KE_HOACH,
            TAI_NGUYEN,
            LAO_DONG,
        ] {
            assert!(CATALOGUE
                .iter()
                .any(|e| e.applied == Department(department)));
        }
    }
}
